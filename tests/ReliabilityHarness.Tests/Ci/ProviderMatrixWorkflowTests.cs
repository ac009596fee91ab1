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
        var jobs = ((YamlMappingNode)Parse(File.ReadAllText(WorkflowPath))["jobs"]).Children.Keys.Select(k => k.ToString());
        Assert.That(jobs, Is.EquivalentTo(ProviderCatalog.All.Select(p => p.Name)));
    }

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
