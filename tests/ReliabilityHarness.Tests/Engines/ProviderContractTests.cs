using System.Reflection;
using System.Text.RegularExpressions;
using ReliabilityHarness.Cli;

namespace ReliabilityHarness.Tests.Engines;

/// <summary>
/// The provider contract as docs/adding-a-provider.md states it: its required members, each provider's files and
/// their sizes, no part that throws "not supported", and a core whose namespaces depend on each other one way only.
/// </summary>
public sealed partial class ProviderContractTests
{
    private static readonly string Guide = File.ReadAllText(RepositoryFiles.PathOf("docs", "adding-a-provider.md"));

    /// <summary>The parts a provider gives, and the suffix of each part's class and file.</summary>
    private static readonly (Type Part, string Suffix)[] Parts =
        [(typeof(Dialect), "Dialect"), (typeof(EngineSource), "Engine"), (typeof(BulkPath), "BulkWriter"), (typeof(HandIdiom), "HandIdiom")];

    [Test]
    public void The_guide_names_every_required_member_of_every_part()
    {
        using (Assert.EnterMultipleScope())
        {
            foreach (var type in new[] { typeof(Dialect), typeof(EmbeddedEngine), typeof(ServerEngine), typeof(BulkPath), typeof(ClientHandIdiom), typeof(DriverHandIdiom) })
            {
                foreach (var member in RequiredMembers(type))
                {
                    Assert.That(Guide, Does.Contain($"`{member}`"), $"{type.Name}.{member} must be written by every provider that has this part: the guide must name it");
                }
            }
        }
    }

    [Test]
    public void A_dialect_requires_few_members()
    {
        var required = RequiredMembers(typeof(Dialect)).ToList();
        Assert.That(required, Has.Count.LessThanOrEqualTo(8), string.Join(", ", required));
    }

    [Test]
    public void The_guide_gives_each_provider_file_and_its_length()
    {
        var stated = LineCountRow().Matches(Guide).ToDictionary(m => m.Groups["file"].Value, m => int.Parse(m.Groups["lines"].Value, System.Globalization.CultureInfo.InvariantCulture));
        var actual = ProviderFiles().ToDictionary(f => Path.GetRelativePath(RepositoryFiles.Root, f).Replace('\\', '/'), f => File.ReadAllLines(f).Length);
        var table = string.Join('\n', actual.Select(f => $"| `{f.Key}` | {f.Value} |"));
        Assert.That(stated, Is.EquivalentTo(actual), $"docs/adding-a-provider.md's table of provider files should read:\n{table}");
    }

    [Test]
    public void Every_dialect_file_is_readable_in_one_sitting() =>
        Assert.That(ProviderFiles().Where(f => File.ReadAllLines(f).Length > 300).Select(Path.GetFileName), Is.Empty, "over 300 lines");

    [Test]
    public void No_provider_part_throws_not_supported() =>
        Assert.That(ProviderFiles().Where(f => File.ReadAllText(f).Contains("NotSupportedException", StringComparison.Ordinal)).Select(Path.GetFileName), Is.Empty,
            "a part the engine lacks is not provided (null), never a member that throws");

    [Test]
    public void Every_provider_is_built_from_its_parts_by_one_Create()
    {
        using (Assert.EnterMultipleScope())
        {
            foreach (var provider in ProviderCatalog.All)
            {
                foreach (var (part, suffix) in Parts)
                {
                    var file = RepositoryFiles.PathOf("providers", $"ReliabilityHarness.{provider.DisplayName}", $"{provider.DisplayName}{suffix}.cs");
                    var given = part == typeof(Dialect) ? provider.Dialect : part == typeof(EngineSource) ? provider.Engine : part == typeof(BulkPath) ? provider.Bulk : (object?)provider.HandIdiom;
                    Assert.That(File.Exists(file), Is.EqualTo(given is not null), $"{provider.DisplayName}: {suffix} {(given is null ? "not provided, yet its file exists" : "provided, in a file of that name")}");
                }
            }
        }
    }

    // Each core namespace may use those before it in this order and none after it: Flaws, Payments, Providers, Engines,
    // Ingest, Scenarios, Pipelines, Histories, Matrix. A using or a qualified name that points the other way is a cycle in the making.
    [Test]
    public void The_core_namespaces_depend_on_each_other_one_way()
    {
        string[] order = ["Flaws", "Payments", "Providers", "Engines", "Ingest", "Scenarios", "Pipelines", "Histories", "Matrix"];
        var backwards = new List<string>();
        foreach (var file in Directory.EnumerateFiles(RepositoryFiles.PathOf("src", "ReliabilityHarness"), "*.cs", SearchOption.AllDirectories).Where(f => !f.Contains("/obj/", StringComparison.Ordinal)))
        {
            var text = File.ReadAllText(file);
            var own = CoreNamespace().Match(text) is { Success: true } m ? m.Groups[1].Value : null;
            if (own is null || Array.IndexOf(order, own) is var ownRank && ownRank < 0)
            {
                continue;
            }

            foreach (var used in CoreReference().Matches(text).Select(r => r.Groups[1].Value).Distinct())
            {
                if (Array.IndexOf(order, used) > ownRank)
                {
                    backwards.Add($"{Path.GetFileName(file)} ({own}) uses {used}");
                }
            }
        }

        Assert.That(backwards, Is.Empty);
    }

    /// <summary>The members a subclass of <paramref name="type"/> must write: abstract there, inherited or declared.</summary>
    private static IEnumerable<string> RequiredMembers(Type type) =>
        type.GetMembers(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance)
            .Where(m => m switch
            {
                MethodInfo method => method.IsAbstract && !method.IsSpecialName,
                PropertyInfo property => (property.GetMethod ?? property.SetMethod)!.IsAbstract,
                _ => false,
            })
            .Select(m => m.Name)
            .Distinct();

    private static IEnumerable<string> ProviderFiles() =>
        Directory.EnumerateFiles(RepositoryFiles.PathOf("providers"), "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains("/obj/", StringComparison.Ordinal) && !f.Contains("/bin/", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal);

    [GeneratedRegex(@"^\| `(?<file>providers/[^`]+\.cs)` \| (?<lines>\d+) \|", RegexOptions.Multiline)]
    private static partial Regex LineCountRow();

    [GeneratedRegex(@"^namespace ReliabilityHarness\.(\w+)", RegexOptions.Multiline)]
    private static partial Regex CoreNamespace();

    [GeneratedRegex(@"\bReliabilityHarness\.(\w+)\b")]
    private static partial Regex CoreReference();
}
