using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using ReliabilityHarness.Pipelines;
using ReliabilityHarness.Providers;

namespace ReliabilityHarness.Cli;

/// <summary>
/// <c>reliability bench --check N</c>: how long a whole check takes. A .NET delegate pipeline of N statements (N-1
/// INSERTs and the COMMIT, one transaction) on each engine, its N crash trials each with its restore and its rerun,
/// against the 60-second target for N = 100 on SQLite; then, from a checkout (samples/python-sqlite), the lesson's two
/// Python pipelines through <c>reliability check</c> (strace's write injection). Figures, not tests.
/// </summary>
internal static class CheckBench
{
    private static readonly TimeSpan Goal = TimeSpan.FromSeconds(60);

    public static async Task<int> RunAsync(int statements, IReadOnlyList<Provider> providers, TextWriter output, TextWriter error, Func<string, string?> environment, CancellationToken cancellationToken)
    {
        await output.WriteLineAsync($"reliability bench --check: a {statements}-statement .NET delegate (one transaction, the harness's upsert) under every crash point; {Environment.ProcessorCount} cores; wall clock, one run each.");
        foreach (var provider in providers)
        {
            try
            {
                await DelegateAsync(provider, statements, output, environment, cancellationToken);
            }
            catch (EngineUnavailableException e)
            {
                await output.WriteLineAsync($"{provider.Name}: skipped: {e.Message}");
            }
        }

        var lesson = Path.Combine("samples", "python-sqlite");
        if (!Directory.Exists(lesson))
        {
            await output.WriteLineAsync("the Python lesson: skipped (run from a checkout: samples/python-sqlite is not here)");
            return ExitCodes.Success;
        }

        var python = File.Exists("/usr/bin/python3") ? "/usr/bin/python3" : "python3";
        foreach (var script in new[] { "unreliable_pipeline.py", "robust_pipeline.py" })
        {
            await PythonAsync(python, lesson, script, output, error, environment, cancellationToken);
        }

        return ExitCodes.Success;
    }

    private static async Task DelegateAsync(Provider provider, int statements, TextWriter output, Func<string, string?> environment, CancellationToken cancellationToken)
    {
        await using var engine = await Target.ResolveAsync(provider, null, environment, output, cancellationToken);
        await using var database = await provider.CreateIsolatedDatabaseAsync(engine.ConnectionString, cancellationToken);
        using var before = BeforeState.Setup(token => Ingest.PaymentsTable.ResetAsync(provider, database.ConnectionString, token), "an empty payments table");
        var processedAt = new DateTimeOffset(2026, 1, 1, 9, 0, 0, TimeSpan.Zero);

        // The harness's own upsert, a payment a statement: the pipeline a user would hope to have.
        async Task Pipeline(PipelineDatabase db, CancellationToken token)
        {
            await using var connection = await db.OpenAsync(token);
            await using var transaction = await connection.BeginTransactionAsync(token);
            for (var i = 1; i < statements; i++)
            {
                await using var command = DbCommands.Create(connection, transaction, provider.Dialect.Sql.Upsert,
                    (PaymentsSql.PaymentId, $"pay_{i:D6}"), (PaymentsSql.UserId, "user_1"), (PaymentsSql.Amount, provider.Dialect.AmountParameter(1.25m * i)),
                    (PaymentsSql.Currency, "USD"), (PaymentsSql.Status, "captured"), (PaymentsSql.ProcessedAt, provider.Dialect.TimestampParameter(processedAt)));
                foreach (System.Data.Common.DbParameter parameter in command.Parameters)
                {
                    provider.Dialect.PrepareParameter(parameter);
                }

                await command.ExecuteNonQueryAsync(token);
            }

            await transaction.CommitAsync(token);
        }

        var runner = new DelegatePipeline(provider, database.ConnectionString, Pipeline, $"{statements} statements", TimeSpan.FromMinutes(5));
        var clock = Stopwatch.StartNew();
        var report = await new PipelineCheck(provider.Dialect, database.ConnectionString, [new TableName(null, PaymentsSql.TableName)], before, runner).RunAsync(cancellationToken: cancellationToken);
        var elapsed = clock.Elapsed;
        var trials = report[PipelineProperty.Atomic].Trials;
        var verdicts = string.Join(", ", report.Properties.Select(p => $"{p.Property} {CheckFormats.Mark(p.Ok)}"));
        var goal = provider.Name == "sqlite" && statements == 100 ? $"; target {Goal.TotalSeconds:0} s: {(elapsed <= Goal ? "met" : "MISSED")} (ratio {elapsed / Goal:0.00})" : string.Empty;
        await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
            $"{provider.Name}: {trials} crash trials (each a restore, a crashed run and a rerun) in {elapsed.TotalSeconds:0.0} s, {elapsed.TotalMilliseconds / Math.Max(trials, 1):0} ms a trial{goal}; {verdicts}"));
    }

    private static async Task PythonAsync(string python, string lesson, string script, TextWriter output, TextWriter error, Func<string, string?> environment, CancellationToken cancellationToken)
    {
        var folder = Directory.CreateTempSubdirectory("reliability-bench-check-");
        try
        {
            using var report = new StringWriter();
            using var progress = new StringWriter();
            var clock = Stopwatch.StartNew();
            var code = await Cli.RunAsync(
                ["check", "--provider", "sqlite", "--connection", $"Data Source={Path.Combine(folder.FullName, "lesson.db")}", "--table", "payments",
                 "--setup", $"{python} {Path.Combine(lesson, "setup_db.py")}", "--format", "json", "--", python, Path.Combine(lesson, script)],
                report, progress, environment, cancellationToken: cancellationToken);
            var elapsed = clock.Elapsed;
            if (code is not (0 or 1))
            {
                await output.WriteLineAsync($"the Python lesson's {script}: skipped: {progress.ToString().Split('\n')[0]}");
                return;
            }

            using var json = JsonDocument.Parse(report.ToString());
            var properties = json.RootElement.EnumerateArray().ToList();
            var trials = properties.Single(p => p.GetProperty("property").GetString() == PipelineProperty.Atomic).GetProperty("trials").GetInt32();
            var verdicts = string.Join(", ", properties.Select(p => $"{p.GetProperty("property").GetString()} {CheckFormats.Mark(p.GetProperty("ok").ValueKind switch { JsonValueKind.True => true, JsonValueKind.False => false, _ => null })}"));
            await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                $"the Python lesson's {script} ({python}): {trials} crash trials in {elapsed.TotalSeconds:0.0} s, {elapsed.TotalMilliseconds / Math.Max(trials, 1):0} ms a trial (a setup, a crashed run and a rerun, each a process); {verdicts}"));
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }
}
