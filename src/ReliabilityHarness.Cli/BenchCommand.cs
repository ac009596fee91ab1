using System.Diagnostics;
using System.Globalization;
using ReliabilityHarness.Engines;
using ReliabilityHarness.Ingest;
using ReliabilityHarness.Providers;
using ReliabilityHarness.Scenarios;
using ReliabilityHarness.Scenarios.Faults;

namespace ReliabilityHarness.Cli;

/// <summary>
/// <c>reliability bench</c>: the harness's ingest against the engine's own idiom, on the same generated file, in
/// one run: the idiom's first load and rerun, the bulk command alone (the floor), then <c>reliability ingest</c>
/// as a child process (so its peak memory is its own) on first load, on rerun and on a tenth of the rows. Prints
/// the times and the ratios the project targets. A figure, not a test: it fails only when a step fails.
/// </summary>
internal static class BenchCommand
{
    private const int DefaultRows = 1_000_000;

    public static async Task<int> RunAsync(Arguments arguments, TextWriter output, TextWriter error, Func<string, string?> environment, CancellationToken cancellationToken)
    {
        var rows = arguments.Get("rows") is { } text
            ? int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n >= 10 ? n : throw new UsageException($"--rows expects a whole number of at least 10, got '{text}'")
            : DefaultRows;
        var providers = Target.ProvidersNamed(arguments.Get("providers") ?? "sqlite,postgresql");
        if (arguments.Get("check") is { } check)
        {
            return int.TryParse(check, NumberStyles.None, CultureInfo.InvariantCulture, out var statements) && statements >= 2
                ? await CheckBench.RunAsync(statements, providers, output, error, environment, cancellationToken)
                : throw new UsageException($"--check expects a number of statements, at least 2, got '{check}'");
        }

        var directory = Directory.CreateTempSubdirectory("reliability-bench-");
        try
        {
            var large = Path.Combine(directory.FullName, $"payments-{rows}.csv");
            var small = Path.Combine(directory.FullName, $"payments-{rows / 10}.csv");
            await SamplePayments.Generate(rows, seed: 7).WriteCsvAsync(large, cancellationToken);
            await SamplePayments.Generate(rows / 10, seed: 7).WriteCsvAsync(small, cancellationToken);
            await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                $"reliability bench: {rows:N0} generated payments ({new FileInfo(large).Length / 1e6:0.0} MB CSV), and {rows / 10:N0} for growth; {Environment.ProcessorCount} cores; each figure is one run, wall clock."));

            if (typeof(BenchCommand).Assembly.GetCustomAttributes(typeof(DebuggableAttribute), false).OfType<DebuggableAttribute>().Any(d => d.IsJITOptimizerDisabled))
            {
                await output.WriteLineAsync("note: this is a Debug build, slower than what users run; for figures: dotnet run -c Release --project src/ReliabilityHarness.Cli -- bench");
            }

            var failed = false;
            foreach (var provider in providers)
            {
                await output.WriteLineAsync();
                try
                {
                    await BenchAsync(provider, large, small, rows, directory.FullName, output, error, environment, cancellationToken);
                }
                catch (Exception e) when (e is EngineUnavailableException or InvalidOperationException or System.Data.Common.DbException)
                {
                    failed |= e is not EngineUnavailableException;
                    await output.WriteLineAsync(e is EngineUnavailableException
                        ? $"{provider.Name}: skipped: {e.Message}"
                        : $"{provider.Name}: failed: {ConnectionStrings.Scrub(e.Message, environment(provider.EnvironmentVariable))}");
                }
            }

            return failed ? ExitCodes.RunFailed : ExitCodes.Success;
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    private static async Task BenchAsync(Provider provider, string large, string small, int rows, string directory, TextWriter output, TextWriter error, Func<string, string?> environment, CancellationToken cancellationToken)
    {
        await using var target = await Target.ResolveAsync(provider, null, environment, output, cancellationToken);
        await using var database = await provider.CreateIsolatedDatabaseAsync(target.ConnectionString, cancellationToken);
        var connection = database.ConnectionString;
        await using (var opened = await provider.Dialect.OpenAsync(connection, cancellationToken))
        {
            await output.WriteLineAsync($"{provider.Name}: {await provider.Engine.VersionAsync(opened, cancellationToken)}, {database.Description}");
        }

        // Every reader sees the file from the page cache, not only the later ones.
        await Warm(large, cancellationToken);
        await Warm(small, cancellationToken);

        var lines = new List<IReadOnlyList<string>>();
        var idiom = provider.HandIdiom;
        Measured? floor = null, handFirst = null, handRerun = null;
        if (idiom is { Unavailable: null })
        {
            Task Run(string script) => idiom.RunAsync(script, connection, directory, cancellationToken);
            await Run(idiom.FloorSetup());
            floor = await Time(() => Run(idiom.FloorLoad(large)));
            lines.Add(Row($"{idiom.BulkCommand} alone into an empty keyed table (floor)", floor));
            await Run(idiom.FloorTeardown());

            await ResetAsync(provider, connection, cancellationToken);
            handFirst = await Time(() => Run(idiom.StagedUpsert(large)));
            await ExpectRowsAsync(provider, connection, rows, "the hand idiom", cancellationToken);
            handRerun = await Time(() => Run(idiom.StagedUpsert(large)));
            lines.Add(Row($"hand idiom ({idiom.BulkCommand} to staging + upsert), first load", handFirst));
            lines.Add(Row("hand idiom, rerun (all unchanged)", handRerun));
        }
        else
        {
            await output.WriteLineAsync(idiom is null
                ? $"  (no hand idiom for {provider.Name}: the harness alone is measured)"
                : $"  ({idiom.Unavailable}: the hand idiom is not measured)");
        }

        await ResetAsync(provider, connection, cancellationToken);
        var first = await IngestAsync(provider, connection, large, rows, cancellationToken);
        await ExpectRowsAsync(provider, connection, rows, "the harness", cancellationToken);
        var rerun = await IngestAsync(provider, connection, large, rows, cancellationToken);
        await ResetAsync(provider, connection, cancellationToken);
        var tenth = await IngestAsync(provider, connection, small, rows / 10, cancellationToken);
        lines.Add(Row("reliability ingest (robust), first load", first));
        lines.Add(Row("reliability ingest (robust), rerun (all unchanged)", rerun));
        lines.Add(Row($"reliability ingest (robust), first load of {rows / 10:N0}", tenth));
        await output.WriteAsync(TextTable.Render(["step", "seconds", "rows/s", "peak RSS"], lines));

        var ratios = new List<IReadOnlyList<string>>();
        if (handFirst is not null && floor is not null)
        {
            ratios.Add(Ratio("first load / hand idiom's first load", first, handFirst, 1.0));
            ratios.Add(Ratio($"first load / {idiom!.BulkCommand} floor", first, floor, idiom.FloorTarget));
            ratios.Add(Ratio("rerun / hand idiom's rerun", rerun, handRerun!, null));
        }

        ratios.Add(Ratio("rerun / first load", rerun, first, 1.0));
        ratios.Add(Ratio($"first load of {rows:N0} / of {rows / 10:N0}", first, tenth, 11.0));
        ratios.Add([$"peak RSS, {rows:N0} rows", $"{first.PeakMegabytes:0} MB", Verdict(first.PeakMegabytes <= 200), "≤ 200 MB"]);
        ratios.Add([$"peak RSS, {rows / 10:N0} rows", $"{tenth.PeakMegabytes:0} MB", string.Empty, "about the same"]);
        await output.WriteAsync(TextTable.Render(["ratio", "value", "target", "is"], ratios));
        if (provider.IsEmbedded)
        {
            await output.WriteLineAsync($"  ({provider.Name} runs inside the ingest process: its own memory (page cache, indexes, the transaction's rows) is in the peak RSS)");
        }
    }

    private sealed record Measured(double Seconds, double PeakMegabytes, long Rows);

    private static IReadOnlyList<string> Row(string step, Measured measured) =>
    [
        step,
        measured.Seconds.ToString("0.00", CultureInfo.InvariantCulture),
        measured.Rows > 0 ? (measured.Rows / measured.Seconds).ToString("N0", CultureInfo.InvariantCulture) : string.Empty,
        measured.PeakMegabytes > 0 ? measured.PeakMegabytes.ToString("0", CultureInfo.InvariantCulture) + " MB" : string.Empty,
    ];

    private static IReadOnlyList<string> Ratio(string name, Measured measured, Measured against, double? target)
    {
        var ratio = measured.Seconds / against.Seconds;
        return
        [
            name,
            ratio.ToString("0.00", CultureInfo.InvariantCulture) + "×",
            target is { } limit ? Verdict(ratio <= limit) : string.Empty,
            target is { } t ? "≤ " + t.ToString("0.0", CultureInfo.InvariantCulture) + "×" : string.Empty,
        ];
    }

    private static string Verdict(bool met) => met ? "met" : "MISSED";

    private static async Task<Measured> Time(Func<Task> step)
    {
        var clock = Stopwatch.StartNew();
        await step();
        return new Measured(clock.Elapsed.TotalSeconds, 0, 0);
    }

    /// <summary>Runs <c>reliability ingest</c> on <paramref name="csv"/> as a child; its time and its peak resident set (VmHWM).</summary>
    private static async Task<Measured> IngestAsync(Provider provider, string connectionString, string csv, long rows, CancellationToken cancellationToken)
    {
        var self = ChildCommand.InDirectory(AppContext.BaseDirectory);
        var start = self.Ingest(provider, connectionString, csv);
        var clock = Stopwatch.StartNew();
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"cannot start {self.FileName}");
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        long peakKilobytes = 0;
        while (!process.HasExited)
        {
            peakKilobytes = Math.Max(peakKilobytes, PeakResidentKilobytes(process.Id));
            await Task.WhenAny(process.WaitForExitAsync(cancellationToken), Task.Delay(20, cancellationToken));
        }

        await process.WaitForExitAsync(cancellationToken);
        var seconds = clock.Elapsed.TotalSeconds;
        var (said, complaint) = (await stdout, await stderr);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"reliability ingest exited with {process.ExitCode}: {complaint.Trim()} {said.Trim()}".Trim());
        }

        return new Measured(seconds, peakKilobytes / 1024.0, rows);
    }

    // VmHWM: the process's peak resident set so far (man 5 proc); read until the process is gone.
    private static long PeakResidentKilobytes(int pid)
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/{pid}/status"))
            {
                if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                {
                    return long.Parse(line["VmHWM:".Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
                }
            }
        }
        catch (IOException)
        {
            // The process ended between the check and the read.
        }

        return 0;
    }

    private static async Task ExpectRowsAsync(Provider provider, string connectionString, long rows, string who, CancellationToken cancellationToken)
    {
        await using var connection = await provider.Dialect.OpenAsync(connectionString, cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = $"SELECT COUNT(*) FROM {provider.Dialect.Quote(PaymentsSql.TableName)}";
        var count = Convert.ToInt64(await command.ExecuteScalarAsync(cancellationToken), CultureInfo.InvariantCulture);
        if (count != rows)
        {
            throw new InvalidOperationException($"after {who}'s first load the table holds {count:N0} rows, not {rows:N0}");
        }
    }

    // Every first load starts from the same state: an empty table and, for SQLite, a file without free pages
    // (VACUUM), since reusing the pages a dropped table freed costs a journal write each.
    private static async Task ResetAsync(Provider provider, string connectionString, CancellationToken cancellationToken)
    {
        await PaymentsTable.ResetAsync(provider, connectionString, cancellationToken);
        if (provider.IsEmbedded)
        {
            await using var connection = await provider.Dialect.OpenAsync(connectionString, cancellationToken);
            await using var command = connection.CreateCommand();
            command.CommandText = "VACUUM";
            await command.ExecuteNonQueryAsync(cancellationToken);
        }
    }

    private static async Task Warm(string path, CancellationToken cancellationToken)
    {
        await using var stream = File.OpenRead(path);
        await stream.CopyToAsync(Stream.Null, cancellationToken);
    }
}
