using ReliabilityHarness.Flaws;
using ReliabilityHarness.Tests.Engines;

namespace ReliabilityHarness.Tests.Faults;

/// <summary>
/// The fault catalogue, run like the negative controls: each flaw seeded into the real code, its property suites
/// run against it, and at least one of their tests must go red on this engine; the real code must leave every one
/// green. What each case saw goes to <see cref="FaultReport"/>, which writes <c>docs/faults.md</c>.
/// </summary>
// The suites it runs sever sessions and clear connection pools, as they do in the ordinary run, where they are not run beside others either.
[NonParallelizable]
[Category(Categories.Faults)]
[TestFixtureSource(typeof(FaultCatalog), nameof(FaultCatalog.Cases))]
public sealed class FaultTests(Fault fault, Provider? provider)
{
    [Test]
    public async Task Is_caught_by_its_property_suites()
    {
        if (provider is not null)
        {
            await TestEngines.RequireAsync(provider);
        }

        var outcomes = new List<PropertyOutcome>();
        using (Seeded.Seed(fault.Flaw))
        {
            foreach (var suite in fault.Suites)
            {
                outcomes.AddRange(await PropertySuite.RunAsync(suite, provider, untilRed: !FaultReport.Writing && fault.Flaw != Flaw.None));
                if (!FaultReport.Writing && fault.Flaw != Flaw.None && outcomes.Any(o => o.Verdict == Verdict.Red))
                {
                    break; // caught: the full page (scripts/faults.sh) runs every test
                }
            }
        }

        FaultReport.Record(fault, provider, outcomes);
        var red = outcomes.Where(o => o.Verdict == Verdict.Red).ToList();
        TestContext.Out.WriteLine($"{fault.Name} on {provider?.DisplayName ?? "engine-free"}: {red.Count} red, {outcomes.Count(o => o.Verdict == Verdict.Passed)} passed, {outcomes.Count(o => o.Verdict == Verdict.NotRun)} not run");
        foreach (var outcome in red)
        {
            TestContext.Out.WriteLine($"  red: {outcome.Test}: {outcome.Message}");
        }

        using (Assert.EnterMultipleScope())
        {
            Assert.That(outcomes.Count(o => o.Verdict == Verdict.Passed), Is.GreaterThan(0), "the suites ran no test at all");
            if (fault.Flaw == Flaw.None)
            {
                Assert.That(red.Select(o => $"{o.Test}: {o.Message}"), Is.Empty, "the real code must pass every property suite");
            }
            else
            {
                Assert.That(red, Is.Not.Empty, $"{fault.Name} survived every test of {string.Join(", ", fault.Suites.Select(s => s.Name))}");
            }
        }
    }
}
