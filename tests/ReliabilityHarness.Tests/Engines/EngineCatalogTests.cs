using ReliabilityHarness.Cli;

namespace ReliabilityHarness.Tests.Engines;

public sealed class EngineCatalogTests
{
    [Test]
    public void Every_engine_named_in_HARNESS_REQUIRE_is_a_known_provider() =>
        Assert.That(TestEngines.UnknownRequired, Is.Empty,
            $"{TestEngines.RequireVariable} names engines no provider has; known: {string.Join(", ", ProviderCatalog.All.Select(p => p.Name))}");

    [Test]
    public void Provider_names_follow_one_spelling_per_engine()
    {
        using (Assert.EnterMultipleScope())
        {
            foreach (var provider in ProviderCatalog.All)
            {
                Assert.That(provider.Name, Is.EqualTo(provider.DisplayName.ToLowerInvariant()));
                Assert.That(provider.EnvironmentVariable, Is.EqualTo("HARNESS_" + provider.DisplayName.ToUpperInvariant()));
                // Each part is named <Engine><Part> in the namespace ReliabilityHarness.<Engine> (docs/adding-a-provider.md).
                foreach (var (part, suffix) in new (object? Part, string Suffix)[]
                         {
                             (provider.Dialect, "Dialect"), (provider.Engine, "Engine"), (provider.Bulk, "BulkWriter"), (provider.HandIdiom, "HandIdiom"),
                         })
                {
                    if (part is not null)
                    {
                        Assert.That(part.GetType().Name, Is.EqualTo(provider.DisplayName + suffix));
                        Assert.That(part.GetType().Namespace, Is.EqualTo("ReliabilityHarness." + provider.DisplayName));
                        Assert.That(part.GetType().IsSealed, Is.True, $"{part.GetType().Name} is a leaf: sealed");
                    }
                }
            }
        }
    }

    [Test]
    public async Task A_server_engine_without_its_variable_or_Docker_is_unavailable_with_a_reason_that_says_how_to_provide_one()
    {
        var provider = ProviderCatalog.Find("postgresql")!;
        var availability = await EngineAcquisition.AcquireAsync(provider, _ => null);
        if (availability.Server is { } server)
        {
            await server.DisposeAsync();
            Assert.Ignore("Docker is available here, so Testcontainers started an engine: the unavailable path cannot be observed");
        }

        Assert.That(availability.UnavailableReason, Does.Contain("HARNESS_POSTGRESQL").And.Contain("Docker").And.Contain("scripts/engines.sh"));
    }

    [Test]
    public async Task SqlServer_unavailable_names_HARNESS_SQLSERVER_and_Docker()
    {
        var provider = ProviderCatalog.Find("sqlserver")!;
        var availability = await EngineAcquisition.AcquireAsync(provider, _ => null);
        if (availability.Server is { } server)
        {
            await server.DisposeAsync();
            Assert.Ignore("Docker is available here, so Testcontainers started SQL Server: the unavailable path cannot be observed");
        }

        Assert.That(availability.UnavailableReason, Does.Contain("HARNESS_SQLSERVER").And.Contain("Docker").And.Contain(provider.Engine.Container!.Image));
    }

    [Test]
    public async Task A_variable_that_points_nowhere_is_unavailable_and_never_shows_the_password()
    {
        var provider = ProviderCatalog.Find("postgresql")!;
        const string connection = "Host=127.0.0.1;Port=1;Username=someone;Password=hunter2-secret;Timeout=5";
        var availability = await EngineAcquisition.AcquireAsync(provider, name => name == "HARNESS_POSTGRESQL" ? connection : null);
        Assert.That(availability.IsAvailable, Is.False);
        Assert.That(availability.UnavailableReason, Does.Contain("HARNESS_POSTGRESQL").And.Not.Contain("hunter2-secret"));
    }
}
