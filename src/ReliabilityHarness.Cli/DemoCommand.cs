using System.Globalization;
using ReliabilityHarness.Ingest;
using ReliabilityHarness.Payments;
using ReliabilityHarness.Scenarios;

namespace ReliabilityHarness.Cli;

/// <summary>
/// <c>reliability demo</c>: the payments lesson (<see cref="SamplePayments.Lesson"/>), step by step. The unreliable script crashes and leaves a partial table, its
/// rerun fails on the key; the robust strategy's crash leaves nothing, its run writes three rows, its rerun
/// changes nothing. Each step says what it shows and checks it; the exit code is 1 if any step did not show it.
/// </summary>
internal static class DemoCommand
{
    public static async Task<int> RunAsync(Arguments arguments, TextWriter output, Func<string, string?> environment, CancellationToken cancellationToken)
    {
        await using var target = await Target.ResolveAsync(arguments, environment, output, cancellationToken);
        var (provider, connection) = (target.Provider, target.ConnectionString);
        var lesson = SamplePayments.Lesson;
        var failures = 0;
        var step = 0;

        async Task<IReadOnlyList<StoredPayment>> ShowAsync(string heading, string explanation, Func<IReadOnlyList<StoredPayment>, string?> check)
        {
            var rows = await PaymentsTable.ReadAllAsync(provider, connection, cancellationToken);
            await output.WriteLineAsync($"Step {++step}. {heading}");
            await output.WriteLineAsync($"  {explanation}");
            await output.WriteLineAsync($"  payments now holds {rows.Count} row(s):");
            if (rows.Count > 0)
            {
                await output.WriteAsync(TextTable.Render(
                    ["payment_id", "user_id", "amount", "currency", "status", "processed_at"],
                    rows.Select(r => (IReadOnlyList<string>)[r.Payment.PaymentId, r.Payment.UserId, Amount.ToCanonicalString(r.Payment.Amount),
                        r.Payment.Currency, r.Payment.Status, r.ProcessedAt.ToString("yyyy-MM-dd HH:mm:ss.ffffff", CultureInfo.InvariantCulture)]),
                    "    "));
            }

            var problem = check(rows);
            failures += problem is null ? 0 : 1;
            await output.WriteLineAsync(problem is null ? "  ✓ as expected" : $"  ✗ NOT as expected: {problem}");
            await output.WriteLineAsync();
            return rows;
        }

        Task<IngestResult> IngestAsync(IIngestStrategy strategy, long? crashAfter) =>
            strategy.RunAsync(provider, connection, lesson.AsStream(), new IngestOptions(crashAfter), cancellationToken);

        static string? Expect(bool condition, string otherwise) => condition ? null : otherwise;

        await output.WriteLineAsync($"Demo on {provider.Name} at {target.Description}");
        await output.WriteLineAsync("The lesson: a CSV of payments loaded into a table by a script, first the unreliable way (autocommit, a plain INSERT per row), then the robust way (one transaction, an upsert).");
        await output.WriteLineAsync("Input: the lesson's three payments");
        await output.WriteAsync(TextTable.Render(["payment_id", "user_id", "amount", "currency"],
            lesson.Select(r => (IReadOnlyList<string>)[r.Payment.PaymentId, r.Payment.UserId, Amount.ToCanonicalString(r.Payment.Amount), r.Payment.Currency]), "    "));
        await output.WriteLineAsync();

        await PaymentsTable.ResetAsync(provider, connection, cancellationToken);
        await ShowAsync("setup", "The payments table is created empty.", rows => Expect(rows.Count == 0, $"{rows.Count} rows"));

        var crashed = await IngestAsync(IngestStrategies.Unreliable, crashAfter: 2);
        await ShowAsync("unreliable ingest, crashing after 2 rows",
            $"The lesson's unreliable script: autocommit, one plain INSERT per row. It fails ({crashed.Failure?.Message}) and every row written before the crash stays.",
            rows => Expect(rows.Count == 2, $"expected the partial state of 2 rows, saw {rows.Count}"));

        var rerun = await IngestAsync(IngestStrategies.Unreliable, crashAfter: null);
        await ShowAsync("unreliable rerun of the same file",
            $"Running it again to finish the job fails on the primary key: {rerun.Failure?.Message ?? "(it did not fail)"}{(rerun.Failure?.ErrorCode is { } code ? $" [{code}]" : string.Empty)}",
            rows => Expect(rerun.Failure?.Kind == FailureKind.ConstraintViolation && rows.Count == 2,
                $"expected a primary-key failure leaving 2 rows, saw {(rerun.Failure?.Kind.ToString() ?? "success")} and {rows.Count} rows"));

        await PaymentsTable.ResetAsync(provider, connection, cancellationToken);
        await ShowAsync("reset", "The table is emptied for the robust strategy.", rows => Expect(rows.Count == 0, $"{rows.Count} rows"));

        var robustCrash = await IngestAsync(IngestStrategies.Robust, crashAfter: 2);
        await ShowAsync("robust ingest, crashing after 2 rows",
            $"One transaction and the dialect's upsert. It fails the same way ({robustCrash.Failure?.Message}) and is rolled back: nothing partial survives.",
            rows => Expect(robustCrash.Failure?.Kind == FailureKind.SimulatedCrash && rows.Count == 0, $"expected an empty table, saw {rows.Count} rows"));

        var robust = await IngestAsync(IngestStrategies.Robust, crashAfter: null);
        var afterRobust = await ShowAsync("robust ingest",
            $"The same file, no crash: {(robust.Succeeded ? robust.Counts.ToString() : robust.Failure!.Message)}.",
            rows => Expect(robust.Succeeded && robust.Counts.Inserted == 3 && rows.Count == 3, $"expected 3 inserted rows, saw {rows.Count}"));

        var again = await IngestAsync(IngestStrategies.Robust, crashAfter: null);
        await ShowAsync("robust rerun of the same file",
            $"Idempotent: {(again.Succeeded ? again.Counts.ToString() : again.Failure!.Message)}; no row written, processed_at kept, the table identical.",
            rows => Expect(again.Succeeded && again.Counts.Unchanged == 3 && Snapshots.Same(afterRobust, rows),
                "expected 3 unchanged rows and an identical table"));

        await output.WriteLineAsync(failures == 0
            ? "Every step showed what it should: the robust strategy is atomic on a crash and idempotent on a rerun."
            : $"{failures} step(s) did not show what they should.");
        return failures == 0 ? ExitCodes.Success : ExitCodes.RunFailed;
    }
}
