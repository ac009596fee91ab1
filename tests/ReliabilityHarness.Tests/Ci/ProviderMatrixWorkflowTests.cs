using ReliabilityHarness.Cli;
using YamlDotNet.RepresentationModel;

namespace ReliabilityHarness.Tests.Ci;

/// <summary>
/// The GitHub Actions provider matrix cannot run here; its structure can be checked. It is parsed as YAML and
/// held to what users rely on: a job per provider, a pinned and health-checked service per server engine, the
/// engine's variable and HARNESS_REQUIRE set, the README's test command, results uploaded even on failure.
/// </summary>
public sealed class ProviderMatrixWorkflowTests
{
    private static readonly string WorkflowPath = RepositoryFiles.PathOf(".github", "workflows", "provider-matrix.yml");

    private static IEnumerable<TestCaseData> Providers =>
        ProviderCatalog.All.Select(p => new TestCaseData(p).SetArgDisplayNames(p.DisplayName));

    [TestCaseSource(nameof(Providers))]
    public void Every_provider_has_a_job_that_requires_its_engine_and_uploads_its_results(Provider provider) =>
        Assert.That(Problems(Parse(File.ReadAllText(WorkflowPath)), provider), Is.Empty);

    [Test]
    public void The_workflow_has_no_job_for_an_unknown_provider()
    {
        var jobs = ((YamlMappingNode)Parse(File.ReadAllText(WorkflowPath))["jobs"]).Children.Keys.Select(k => k.ToString()).Where(j => !j.StartsWith(DialectPrefix, StringComparison.Ordinal));
        Assert.That(jobs, Is.EquivalentTo(ProviderCatalog.All.Select(p => p.Name)));
    }

    private const string DialectPrefix = "dialect-";

    /// <summary>The versions and variants the dialect matrix must cover, as the issue that asked for it lists them (MySQL: README says why not).</summary>
    private static readonly string[] CoveredSpecs =
    [
        "postgresql@13", "postgresql@14", "postgresql@15", "postgresql@16", "postgresql@17", "postgresql@18",
        "mariadb@10.6", "mariadb@10.11", "mariadb@11.4", "mariadb@11.8", "mariadb@10.11+snapshot-isolation",
        "sqlserver@2019", "sqlserver@2022", "sqlserver@2025", "sqlserver@2022+rcsi", "sqlite", "sqlite+wal",
    ];

    [Test]
    public void The_dialect_matrix_covers_every_version_and_variant_and_merges_them_against_the_record()
    {
        var root = Parse(File.ReadAllText(WorkflowPath));
        var (specs, problems) = DialectMatrix(root);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(problems, Is.Empty);
            Assert.That(CoveredSpecs.Except(specs), Is.Empty, "specs no job runs");
            Assert.That(specs.Select(s => ProviderCatalog.Find(s)?.Name), Is.All.Not.Null, "every spec is one the catalog can make");
        }
    }

    // The check must be able to fail.
    [TestCase("if: always()", "upload")]
    [TestCase("GITHUB_STEP_SUMMARY", "job summary")]
    [TestCase("--against docs/dialect-matrix.json", "against the record")]
    [TestCase("\"17\", ", "postgresql@17")]
    public void The_dialect_check_finds_a_workflow_broken_in_one_way(string removed, string problem)
    {
        var yaml = File.ReadAllText(WorkflowPath);
        var broken = removed switch
        {
            "\"17\", " => yaml.Replace(removed, string.Empty, StringComparison.Ordinal),
            "if: always()" => yaml.Replace(removed, "if: success()", StringComparison.Ordinal),
            _ => yaml.Replace(removed, "x-removed", StringComparison.Ordinal),
        };
        var (specs, problems) = DialectMatrix(Parse(broken));
        Assert.That(problems.Concat(CoveredSpecs.Except(specs).Select(s => $"no job runs {s}")), Has.Some.Contain(problem));
    }

    /// <summary>The specs the dialect jobs run (their SPECS with each matrix value put in), and what is wrong with the jobs.</summary>
    private static (List<string> Specs, List<string> Problems) DialectMatrix(YamlMappingNode root)
    {
        var specs = new List<string>();
        var problems = new List<string>();
        var jobs = ((YamlMappingNode)root["jobs"]).Children.Where(j => j.Key.ToString().StartsWith(DialectPrefix, StringComparison.Ordinal)).ToList();
        var merge = jobs.SingleOrDefault(j => j.Key.ToString() == DialectPrefix + "matrix").Value as YamlMappingNode;
        foreach (var (name, node) in jobs.Where(j => j.Value != merge).Select(j => (j.Key.ToString(), (YamlMappingNode)j.Value)))
        {
            var template = node.Children.TryGetValue("env", out var env) ? Text((YamlMappingNode)env, "SPECS") : string.Empty;
            var versions = node.Children.TryGetValue("strategy", out var strategy) && ((YamlMappingNode)strategy).Children.TryGetValue("matrix", out var matrix)
                && ((YamlMappingNode)matrix).Children.TryGetValue("version", out var list) && list is YamlSequenceNode sequence
                ? sequence.Children.Select(v => v.ToString()).ToList()
                : [string.Empty];
            specs.AddRange(versions.SelectMany(v => template.Replace("${{ matrix.version }}", v, StringComparison.Ordinal).Split(',')));
            var steps = Steps(node);
            if (!steps.Any(s => Text(s, "run").Contains("matrix --providers \"$SPECS\" --format json", StringComparison.Ordinal)))
            {
                problems.Add($"{name} does not run the matrix on its specs as JSON");
            }

            if (!steps.Any(s => Text(s, "run").Contains("GITHUB_STEP_SUMMARY", StringComparison.Ordinal) && Text(s, "if") == "always()"))
            {
                problems.Add($"{name} writes no job summary");
            }

            if (!steps.Any(s => Text(s, "uses").StartsWith("actions/upload-artifact@", StringComparison.Ordinal) && Text(s, "if") == "always()"))
            {
                problems.Add($"{name} does not upload its matrix even when it fails");
            }
        }

        if (merge is null)
        {
            problems.Add("no dialect-matrix job merges the versions");
            return (specs, problems);
        }

        var needs = merge.Children.TryGetValue("needs", out var needed) && needed is YamlSequenceNode n ? n.Children.Select(x => x.ToString()).ToList() : [];
        if (!jobs.Where(j => j.Value != merge).All(j => needs.Contains(j.Key.ToString())))
        {
            problems.Add("the merge job does not wait for every dialect job");
        }

        if (!Steps(merge).Any(s => Text(s, "run").Contains("matrix --from", StringComparison.Ordinal) && Text(s, "run").Contains("--against docs/dialect-matrix.json", StringComparison.Ordinal)))
        {
            problems.Add("the merge job does not compare the merged matrix against the record");
        }

        return (specs, problems);
    }

    private static List<YamlMappingNode> Steps(YamlMappingNode job) =>
        job.Children.TryGetValue("steps", out var stepsNode) && stepsNode is YamlSequenceNode sequence ? [.. sequence.Children.OfType<YamlMappingNode>()] : [];

    // The check must be able to fail: each way a job can be wrong is found.
    [TestCase("image: postgres:latest", "pinned by a version tag")]
    [TestCase("HARNESS_REQUIRE: sqlite", "HARNESS_REQUIRE does not name postgresql")]
    [TestCase("HARNESS_POSTGRESQL: x", "HARNESS_POSTGRESQL is not set")]
    [TestCase("--health-cmd", "no health check")]
    [TestCase("if: always()", "uploaded even when tests fail")]
    [TestCase("run: dotnet test", "does not run the README's test command")]
    [TestCase("runs-on: ubuntu-24.04", "runner is not pinned")]
    public void The_check_finds_a_job_broken_in_one_way(string removed, string problem)
    {
        var postgresql = ProviderCatalog.Find("postgresql")!;
        var good = $"""
            jobs:
              postgresql:
                runs-on: ubuntu-24.04
                services:
                  postgresql:
                    image: {postgresql.Engine.Container!.Image}
                    options: --health-cmd "pg_isready"
                env:
                  HARNESS_POSTGRESQL: x
                  HARNESS_REQUIRE: sqlite,postgresql
                steps:
                  - uses: actions/checkout@v4
                  - run: dotnet test
                  - uses: actions/upload-artifact@v4
                    if: always()
            """;
        var broken = removed switch
        {
            "image: postgres:latest" => good.Replace($"image: {postgresql.Engine.Container!.Image}", removed, StringComparison.Ordinal),
            "HARNESS_REQUIRE: sqlite" => good.Replace("HARNESS_REQUIRE: sqlite,postgresql", removed, StringComparison.Ordinal),
            "runs-on: ubuntu-24.04" => good.Replace(removed, "runs-on: ubuntu-latest", StringComparison.Ordinal),
            "run: dotnet test" => good.Replace(removed, "run: echo skipped", StringComparison.Ordinal),
            "--health-cmd" => good.Replace(removed, "--restart", StringComparison.Ordinal),
            _ => good.Replace(removed, "x-removed: x", StringComparison.Ordinal),
        };

        using (Assert.EnterMultipleScope())
        {
            Assert.That(Problems(Parse(good), postgresql), Is.Empty, "the unbroken job passes");
            Assert.That(Problems(Parse(broken), postgresql), Has.Some.Contain(problem), broken);
        }
    }

    private static List<string> Problems(YamlMappingNode root, Provider provider)
    {
        var problems = new List<string>();
        if (!root.Children.TryGetValue("jobs", out var jobsNode) || jobsNode is not YamlMappingNode jobs
            || !jobs.Children.TryGetValue(provider.Name, out var jobNode) || jobNode is not YamlMappingNode job)
        {
            return [$"no job '{provider.Name}'"];
        }

        var env = job.Children.TryGetValue("env", out var envNode) ? envNode as YamlMappingNode : null;
        if (env is null || !Text(env, "HARNESS_REQUIRE").Split(',').Contains(provider.Name))
        {
            problems.Add($"HARNESS_REQUIRE does not name {provider.Name}");
        }

        if (Text(job, "runs-on") is var runner && (runner.Length == 0 || runner.Contains("latest", StringComparison.Ordinal)))
        {
            problems.Add("the runner is not pinned");
        }

        var steps = job.Children.TryGetValue("steps", out var stepsNode) && stepsNode is YamlSequenceNode sequence
            ? sequence.Children.OfType<YamlMappingNode>().ToList()
            : [];
        if (!steps.Any(s => Text(s, "uses").StartsWith("actions/checkout@", StringComparison.Ordinal)))
        {
            problems.Add("the job does not check out the repository");
        }

        if (!steps.Any(s => Text(s, "run").StartsWith("dotnet test", StringComparison.Ordinal)))
        {
            problems.Add("the job does not run the README's test command");
        }

        if (!steps.Any(s => Text(s, "uses").StartsWith("actions/upload-artifact@", StringComparison.Ordinal) && Text(s, "if") == "always()"))
        {
            problems.Add("test results are not uploaded even when tests fail");
        }

        if (provider.IsEmbedded)
        {
            return problems;
        }

        if (env is null || Text(env, provider.EnvironmentVariable).Length == 0)
        {
            problems.Add($"{provider.EnvironmentVariable} is not set");
        }

        var service = job.Children.TryGetValue("services", out var servicesNode) && servicesNode is YamlMappingNode services
            ? services.Children.Values.OfType<YamlMappingNode>().SingleOrDefault()
            : null;
        if (service is null)
        {
            problems.Add($"no service runs {provider.DisplayName}");
            return problems;
        }

        if (Text(service, "image") != provider.Engine.Container?.Image)
        {
            problems.Add($"the service image is not pinned by a version tag to {provider.Engine.Container?.Image}, the image Testcontainers runs");
        }

        if (!Text(service, "options").Contains("--health-cmd", StringComparison.Ordinal))
        {
            problems.Add("the service has no health check");
        }

        return problems;
    }

    private static YamlMappingNode Parse(string yaml)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(yaml));
        return (YamlMappingNode)stream.Documents.Single().RootNode;
    }

    private static string Text(YamlMappingNode node, string key) =>
        node.Children.TryGetValue(key, out var value) && value is YamlScalarNode scalar ? scalar.Value ?? string.Empty : string.Empty;
}
