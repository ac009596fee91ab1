using System.Diagnostics;
using ReliabilityHarness.Engines;
using ReliabilityHarness.Providers;
using ReliabilityHarness.Scenarios.Faults;

namespace ReliabilityHarness.Matrix;

/// <summary>
/// Runs every matrix scenario (every <see cref="IMatrixScenario"/> of this assembly) on every engine it can get,
/// each check in a database of its own, and holds each observation to the engine's expectation profile.
/// </summary>
public static class MatrixRunner
{
    /// <summary>The scenarios, in report order: found by reflection, so a new one needs no registration.</summary>
    public static IReadOnlyList<IMatrixScenario> Scenarios { get; } = typeof(IMatrixScenario).Assembly.GetTypes()
        .Where(t => t is { IsAbstract: false, IsInterface: false } && typeof(IMatrixScenario).IsAssignableFrom(t))
        .Select(t => (IMatrixScenario)Activator.CreateInstance(t)!)
        .OrderBy(s => s.Order)
        .ToList();

    /// <param name="expectations">The profile to hold each engine to; the provider's own unless a caller substitutes one.</param>
    /// <param name="progress">Told what runs, for a person watching.</param>
    public static async Task<MatrixReport> RunAsync(IReadOnlyList<Provider> providers, Func<string, string?> environment, ChildCommand reliability,
        Action<string>? progress = null, Func<Provider, ExpectationProfile>? expectations = null, TimeProvider? time = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(providers);
        var engines = new List<MatrixEngine>();
        var rows = new List<MatrixRow>();
        foreach (var provider in providers)
        {
            progress?.Invoke($"{provider.Name}: finding an engine");
            var availability = await EngineAcquisition.AcquireAsync(provider, environment, cancellationToken: cancellationToken);
            if (availability.Server is not { } server)
            {
                engines.Add(new MatrixEngine(provider.Name, null, null, availability.UnavailableReason));
                rows.AddRange(Scenarios.Select(s => new MatrixRow(provider.Name, s.Id, "*", string.Empty, string.Empty, null, null, null, availability.UnavailableReason, 0)));
                progress?.Invoke($"{provider.Name}: skipped: {availability.UnavailableReason}");
                continue;
            }

            await using (server)
            {
                var version = await VersionAsync(provider, server, cancellationToken);
                if (version is not null && !provider.Spec.IsVersionOf(version))
                {
                    // postgresql@13 observed on a PostgreSQL 15 would be recorded under the wrong column: refused, said.
                    var wrong = $"{server.Origin} reaches {version}, not {provider.Spec.Engine} {provider.Spec.Version}";
                    engines.Add(new MatrixEngine(provider.Name, version, server.Origin, wrong));
                    rows.AddRange(Scenarios.Select(s => new MatrixRow(provider.Name, s.Id, "*", string.Empty, string.Empty, false, null, null, wrong, 0)));
                    progress?.Invoke($"{provider.Name}: NOT run: {wrong}");
                    continue;
                }

                engines.Add(new MatrixEngine(provider.Name, version, server.Origin, null));
                var profile = expectations?.Invoke(provider) ?? provider.Dialect.Expectations;
                var context = new MatrixContext(provider, server, environment, reliability, profile, cancellationToken);
                foreach (var scenario in Scenarios)
                {
                    var clock = Stopwatch.StartNew();
                    progress?.Invoke($"{provider.Name}: {scenario.Id} …");
                    var cells = await RunScenarioAsync(scenario, context);
                    var each = clock.Elapsed.TotalMilliseconds / Math.Max(cells.Count, 1);
                    // A cell's detail is free text that may quote the engine's own messages: the one place a secret
                    // could come through, so the one place scrubbed. Names, checks and outcomes are never touched.
                    rows.AddRange(cells.Select(cell => Judge(provider.Name, scenario.Id,
                        cell with { Detail = cell.Detail is { } detail ? ConnectionStrings.Scrub(detail, server.ConnectionString) : null }, profile, version, each)));
                    var wrong = rows.Count(r => r.Engine == provider.Name && r.Scenario == scenario.Id && r.Ok == false);
                    progress?.Invoke($"{provider.Name}: {scenario.Id}: {cells.Count} check(s) in {clock.Elapsed.TotalSeconds:0.0} s{(wrong > 0 ? $", {wrong} NOT as expected" : string.Empty)}");
                }
            }
        }

        return new MatrixReport((time ?? TimeProvider.System).GetUtcNow(), engines, rows);
    }

    private static async Task<IReadOnlyList<MatrixCell>> RunScenarioAsync(IMatrixScenario scenario, MatrixContext context)
    {
        try
        {
            return await scenario.RunAsync(context);
        }
        catch (Exception e) when (e is not OperationCanceledException || !context.CancellationToken.IsCancellationRequested)
        {
            // A scenario that breaks is an observation too: it is reported, and it is not what anyone expected.
            return [new MatrixCell("*", "error", $"{e.GetType().Name}: {e.Message.Split('\n')[0]}")];
        }
    }

    private static MatrixRow Judge(string engine, string scenario, MatrixCell cell, ExpectationProfile profile, string? version, double milliseconds)
    {
        if (cell.Skipped is not null)
        {
            return new MatrixRow(engine, scenario, cell.Check, string.Empty, string.Empty, null, null, cell.Detail, cell.Skipped, milliseconds);
        }

        if (cell.Observed == "figure")
        {
            return new MatrixRow(engine, scenario, cell.Check, "figure", cell.Detail ?? string.Empty, null, null, cell.Detail, null, milliseconds);
        }

        var expected = profile.Find(scenario, cell.Check)?.On(version);
        if (cell.Observed == Expectation.NotApplicable)
        {
            // Never a pass: where the profile says so too, it has no verdict (–, ok null) and shows its reason; where
            // the engine was expected to answer, its not answering is a failure.
            return new MatrixRow(engine, scenario, cell.Check, expected?.Expected ?? "(no expectation)", cell.Observed,
                expected is { Applies: false } ? null : false, expected?.Source, cell.Detail, null, milliseconds, NotApplicable: cell.Detail ?? "(no reason given)");
        }

        return new MatrixRow(engine, scenario, cell.Check, expected?.Expected ?? "(no expectation)", cell.Observed,
            expected is not null && expected.Expected == cell.Observed, expected?.Source, cell.Detail, null, milliseconds);
    }

    private static async Task<string?> VersionAsync(Provider provider, EngineServer server, CancellationToken cancellationToken)
    {
        await using var database = await server.CreateDatabaseAsync(cancellationToken);
        await using var connection = await provider.Dialect.OpenAsync(database.ConnectionString, cancellationToken);
        return await provider.Engine.VersionAsync(connection, cancellationToken);
    }
}
