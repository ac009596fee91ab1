using ReliabilityHarness.Tests.Engines;

namespace ReliabilityHarness.Tests.Scenarios;

/// <summary>
/// TRUNCATE against DELETE: every check observed on the engine and held to its provider's expectation. The cases come
/// from each provider's own profile: a check that does not apply to an engine (it refuses the statement the check
/// depends on, or has no triggers) makes no case of its own; what the engine does say, its refusal in its own words,
/// is asserted instead. Runs are named <c>(Sqlite, truncate-rollback)</c>.
/// </summary>
public sealed class TruncateVsDeleteTests
{
    private readonly Dictionary<string, Task<Observed>> observed = [];

    private static IEnumerable<TestCaseData> CheckCases =>
        from provider in EngineCatalog.Engines
        from check in TruncateVsDeleteScenario.Checks
        where provider.Dialect.Expectations.Applies(TruncateVsDeleteScenario.Id, check)
        select new TestCaseData(provider, check).SetArgDisplayNames(provider.DisplayName, check);

    private static IEnumerable<TestCaseData> EngineCases =>
        EngineCatalog.Engines.Select(provider => new TestCaseData(provider).SetArgDisplayNames(provider.DisplayName));

    // The engines whose profile says some check does not apply: what they refuse is asserted in their own words.
    private static IEnumerable<TestCaseData> RefusingEngineCases =>
        EngineCases.Where(c => TruncateVsDeleteScenario.Checks.Any(check => !((Provider)c.Arguments[0]!).Dialect.Expectations.Applies(TruncateVsDeleteScenario.Id, check)));

    [OneTimeTearDown]
    public async Task DropAsync()
    {
        foreach (var run in observed.Values.Where(r => r.IsCompletedSuccessfully))
        {
            await (await run).Database.DisposeAsync();
        }
    }

    [TestCaseSource(nameof(CheckCases))]
    public async Task Each_check_is_what_the_engine_documents(Provider provider, string check)
    {
        var observation = (await ObserveAsync(provider)).Single(check);
        var expected = provider.Dialect.Expectations.For(TruncateVsDeleteScenario.Id, check);
        Assert.That(observation.Observed, Is.EqualTo(expected.Expected),
            $"{provider.DisplayName} {check}: expected {expected.Expected} ({expected.Source}), observed {observation.Observed}: {observation.Detail}");
    }

    [TestCaseSource(nameof(RefusingEngineCases))]
    public async Task A_check_that_does_not_apply_is_reported_so_with_the_refusal_it_depends_on(Provider provider)
    {
        var observations = await ObserveAsync(provider);
        var notApplicable = TruncateVsDeleteScenario.Checks.Where(c => !provider.Dialect.Expectations.Applies(TruncateVsDeleteScenario.Id, c)).ToList();
        using (Assert.EnterMultipleScope())
        {
            foreach (var check in notApplicable)
            {
                var observation = observations.Single(check);
                Assert.That(observation.Observed, Is.EqualTo(Expectation.NotApplicable), $"{check}: {observation.Detail}");
                Assert.That(observation.Detail, Does.Contain("was refused").Or.Contain("is refused"), $"{check}: the reason names what the engine refused");
            }
        }
    }

    [Test]
    public async Task SQLite_answers_TRUNCATE_with_its_own_syntax_error()
    {
        var sqlite = ReliabilityHarness.Cli.ProviderCatalog.Find("sqlite")!;
        var observations = await ObserveAsync(sqlite);

        // SQLite's parser has no TRUNCATE (sqlite.org/lang.html): the engine says so, and the report quotes it.
        const string said = "near \"TRUNCATE\": syntax error";
        using (Assert.EnterMultipleScope())
        {
            Assert.That(observations.Single("truncate-rollback").Observed, Is.EqualTo(TruncateVsDeleteScenario.Refused));
            Assert.That(observations.Single("truncate-rollback").Detail, Does.StartWith("the engine said: SQLITE 1: ").And.Contain(said));
            Assert.That(observations.Single("identity-reset").Detail, Does.Contain(said));
            Assert.That(observations.Single("truncate-implicit-commit").Detail, Does.Contain(said));
            Assert.That(observations.Single("delete-triggers").Detail, Does.Contain(said), "SQLite has triggers: TRUNCATE is what it refuses");
            Assert.That(observations.Single(TruncateVsDeleteScenario.Timing).Detail, Does.Contain("TRUNCATE refused").And.Contain(said));
        }
    }

    [TestCaseSource(nameof(EngineCases))]
    public async Task Timing_is_reported_as_a_figure(Provider provider) =>
        Assert.That((await ObserveAsync(provider)).Single(TruncateVsDeleteScenario.Timing).Detail, Does.Contain("DELETE of 100,000 rows"));

    /// <summary>The scenario, run once per engine for all its cases, in a database of its own.</summary>
    private async Task<Observed> ObserveAsync(Provider provider)
    {
        Task<Observed> run;
        lock (observed)
        {
            if (!observed.TryGetValue(provider.Name, out run!))
            {
                observed[provider.Name] = run = RunAsync(provider);
            }
        }

        return await run;
    }

    private static async Task<Observed> RunAsync(Provider provider)
    {
        var database = await (await TestEngines.RequireAsync(provider)).CreateDatabaseAsync();
        var observations = await TruncateVsDeleteScenario.RunAsync(provider, database.ConnectionString);
        TestContext.Out.WriteLine(string.Join(Environment.NewLine, observations.Select(o => $"{provider.DisplayName} {o.Check}: {o.Observed} ({o.Detail})")));
        return new Observed(database, observations);
    }

    private sealed record Observed(IsolatedDatabase Database, IReadOnlyList<CheckObservation> Observations)
    {
        public CheckObservation Single(string check) => Observations.Single(o => o.Check == check);
    }
}
