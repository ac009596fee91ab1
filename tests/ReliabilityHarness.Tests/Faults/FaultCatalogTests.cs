using ReliabilityHarness.Flaws;

namespace ReliabilityHarness.Tests.Faults;

/// <summary>The catalogue covers every flaw the code can seed, and its generated page says each was caught.</summary>
public sealed class FaultCatalogTests
{
    [Test]
    public void Every_flaw_the_code_can_seed_is_in_the_catalogue_once() =>
        Assert.That(FaultCatalog.All.Select(f => f.Flaw), Is.EquivalentTo(Enum.GetValues<Flaw>().Where(f => f != Flaw.None)));

    [Test]
    public void Every_flaw_is_read_somewhere_in_the_code()
    {
        var code = string.Concat(new[] { "src", "providers" }
            .SelectMany(folder => Directory.EnumerateFiles(RepositoryFiles.PathOf(folder), "*.cs", SearchOption.AllDirectories))
            .Where(f => !f.Contains("/obj/", StringComparison.Ordinal) && !f.EndsWith("Flaw.cs", StringComparison.Ordinal))
            .Select(File.ReadAllText));
        Assert.That(Enum.GetValues<Flaw>().Where(f => f != Flaw.None && !code.Contains($"Seeded.Has(Flaw.{f})", StringComparison.Ordinal)), Is.Empty);
    }

    // docs/faults.md is written by scripts/faults.sh on an engine run; it must show every fault of the catalogue caught
    // wherever it ran, and the real code green.
    [Test]
    public void The_page_shows_every_fault_caught_and_the_real_code_green()
    {
        var rows = File.ReadAllLines(RepositoryFiles.PathOf("docs", "faults.md"))
            .Where(l => l.StartsWith("| ", StringComparison.Ordinal) && !l.StartsWith("| fault ", StringComparison.Ordinal))
            .ToDictionary(l => l.Split('|')[1].Trim(), l => l.Split('|')[2..^1].Select(c => c.Trim()).ToList());
        using (Assert.EnterMultipleScope())
        {
            foreach (var fault in FaultCatalog.All)
            {
                Assert.That(rows.TryGetValue(fault.Name, out var cells), Is.True, $"{fault.Name} is not on the page: run scripts/faults.sh");
                Assert.That(cells, Has.Some.StartsWith("caught").And.None.Contains("survived"), fault.Name);
            }

            Assert.That(rows[FaultCatalog.RealCode.Name], Has.Some.StartsWith("green").And.None.Contains("red"));
        }
    }
}
