using System.Diagnostics;
using ReliabilityHarness.Ingest;
using ReliabilityHarness.Providers;

namespace ReliabilityHarness.Scenarios.Faults;

/// <summary>What a second process's ingest did while this process had the database open.</summary>
/// <param name="Outcome"><c>shared</c> (it ran), <c>refused</c> (the engine would not let it open the database) or <c>failed</c>.</param>
/// <param name="Said">The child's last line: its result or its error.</param>
public sealed record SecondProcessObservation(string Outcome, string Said);

/// <summary>
/// One database, two processes: this one holds a connection open (and has read the table), another runs
/// <c>reliability ingest</c> on it. A server serves both, SQLite lets both in and takes their writes one at a time,
/// DuckDB lets one process at a time open a file for writing.
/// </summary>
public static class SecondProcessScenario
{
    public const string Check = "second-process";

    public static async Task<SecondProcessObservation> RunAsync(Provider provider, string connectionString, ChildCommand reliability, string csvPath, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(provider);
        ArgumentNullException.ThrowIfNull(reliability);
        await PaymentsTable.ResetAsync(provider, connectionString, cancellationToken);
        await using var holder = await provider.Dialect.OpenAsync(connectionString, cancellationToken);
        await using (var read = holder.CreateCommand())
        {
            read.CommandText = $"SELECT COUNT(*) FROM {provider.Dialect.Quote(PaymentsSql.TableName)}";
            await read.ExecuteScalarAsync(cancellationToken);
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(ProcessKillScenario.Bound);
        using var process = Process.Start(reliability.Ingest(provider, connectionString, csvPath))
            ?? throw new InvalidOperationException($"cannot start {reliability.FileName}");
        string said;
        try
        {
            var output = process.StandardOutput.ReadToEndAsync(timeout.Token);
            var error = process.StandardError.ReadToEndAsync(timeout.Token);
            await process.WaitForExitAsync(timeout.Token);
            said = (process.ExitCode == 0 ? await output : await error).Trim().Split('\n')[^1].Trim();
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return new SecondProcessObservation("failed", $"the second process did not end within {ProcessKillScenario.Bound.TotalMinutes:0} minutes");
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }

        var outcome = process.ExitCode switch
        {
            0 => "shared",
            3 when said.Contains("lock", StringComparison.OrdinalIgnoreCase) => "refused",
            _ => "failed",
        };
        return new SecondProcessObservation(outcome, said);
    }
}
