using ReliabilityHarness.Engines;
using ReliabilityHarness.Providers;
using ReliabilityHarness.Scenarios.Faults;

namespace ReliabilityHarness.Matrix;

/// <summary>One observed check: what a scenario saw on an engine, before it is held to an expectation.</summary>
/// <param name="Skipped">Why the check could not run here although it applies (then Observed is empty).</param>
public sealed record MatrixCell(string Check, string Observed, string? Detail = null, string? Skipped = null)
{
    /// <summary>A check that does not apply to the engine, with the reason (the engine's own words where it refused something).</summary>
    public static MatrixCell NotApplicable(string check, string reason) => new(check, Expectation.NotApplicable, reason);
}

/// <summary>One row of the matrix: a check on an engine, what was expected (with its source) and what was observed.</summary>
/// <param name="Ok">
/// Observed equals expected; null when the check was skipped, does not apply to the engine (as its profile says), or
/// is a figure with nothing to expect. Never true for a check that does not apply.
/// </param>
/// <param name="NotApplicable">Why the check does not apply to the engine, when the engine's answer was that it does not.</param>
public sealed record MatrixRow(
    string Engine,
    string Scenario,
    string Check,
    string Expected,
    string Observed,
    bool? Ok,
    string? Source,
    string? Detail,
    string? Skipped,
    double Milliseconds,
    string? NotApplicable = null);

/// <summary>An engine of the run: its version and origin, or why it did not run.</summary>
public sealed record MatrixEngine(string Engine, string? Version, string? Origin, string? Unavailable);

/// <summary>A whole run: when, which engines, every row.</summary>
public sealed record MatrixReport(DateTimeOffset When, IReadOnlyList<MatrixEngine> Engines, IReadOnlyList<MatrixRow> Rows)
{
    /// <summary>Every check that ran did what its engine is expected to do.</summary>
    public bool AllAsExpected => Rows.All(r => r.Ok is not false);
}

/// <summary>What a matrix scenario gets to run on one engine.</summary>
/// <param name="Reliability">How to start the <c>reliability</c> process, for scenarios that kill it.</param>
/// <param name="Expectations">The profile the run holds the engine to: a scenario that checks a promise (random histories: the consistency model a level promises) reads which one here.</param>
public sealed record MatrixContext(Provider Provider, EngineServer Engine, Func<string, string?> Environment, ChildCommand Reliability, ExpectationProfile Expectations, CancellationToken CancellationToken)
{
    public Task<IsolatedDatabase> NewDatabaseAsync() => Engine.CreateDatabaseAsync(CancellationToken);
}

/// <summary>
/// A scenario as the matrix runs it: the same scenario code the NUnit suite asserts on, turned into cells.
/// Every non-abstract implementation in this assembly is found by <see cref="MatrixRunner"/>: a new scenario
/// appears in the matrix by implementing this.
/// </summary>
public interface IMatrixScenario
{
    /// <summary>The scenario id, as the JSON and the expectation profiles spell it.</summary>
    string Id { get; }

    /// <summary>Where it stands in the report (lower first).</summary>
    int Order { get; }

    Task<IReadOnlyList<MatrixCell>> RunAsync(MatrixContext context);
}
