using System.Collections.Concurrent;
using ReliabilityHarness.Cli;

namespace ReliabilityHarness.Tests.Engines;

/// <summary>
/// The engines of one test run: each acquired once, on first use, and shared by every fixture; stopped by
/// <see cref="EngineLifetime"/> when the run ends.
/// </summary>
internal static class TestEngines
{
    public const string RequireVariable = ReliabilityHarness.NUnit.PipelineEngines.RequireVariable;

    private static readonly ConcurrentDictionary<string, Lazy<Task<EngineAvailability>>> Engines = new();

    public static Task<EngineAvailability> GetAsync(Provider provider) =>
        Engines.GetOrAdd(provider.Name, _ => new Lazy<Task<EngineAvailability>>(
            () => EngineAcquisition.AcquireAsync(provider, Environment.GetEnvironmentVariable))).Value;

    /// <summary>
    /// The engine of <paramref name="provider"/> for a test: ignored with the reason when it is unavailable, or failed
    /// when HARNESS_REQUIRE names it.
    /// </summary>
    public static async Task<EngineServer> RequireAsync(Provider provider) =>
        ReliabilityHarness.NUnit.PipelineEngines.Require(provider, await GetAsync(provider));

    /// <summary>Engine names listed in HARNESS_REQUIRE: for these, unavailable is a failure, not a skip.</summary>
    public static IReadOnlyList<string> Required =>
        (Environment.GetEnvironmentVariable(RequireVariable) ?? string.Empty)
            .Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(name => name.ToLowerInvariant())
            .ToList();

    public static bool IsRequired(Provider provider) => Required.Contains(provider.Name);

    /// <summary>Whether HARNESS_REQUIRE names a capability of the engine, such as <c>postgresql:server-crash</c>.</summary>
    public static bool IsRequired(Provider provider, string capability) => Required.Contains($"{provider.Name}:{capability}");

    /// <summary>Capabilities HARNESS_REQUIRE may name after an engine.</summary>
    public static IReadOnlyList<string> Capabilities { get; } = ["server-crash", "strace", "cc"];

    public static async Task StopAllAsync()
    {
        foreach (var engine in Engines.Values.Where(e => e.IsValueCreated))
        {
            if (await engine.Value is { Server: { } server })
            {
                await server.DisposeAsync();
            }
        }

        Engines.Clear();
    }

    /// <summary>Names in HARNESS_REQUIRE that no provider has: a typo there must not silently require nothing.</summary>
    public static IEnumerable<string> UnknownRequired => Required.Where(entry =>
        entry.Split(':', 2) is var parts && (!Knows(parts[0]) || (parts.Length == 2 && !Capabilities.Contains(parts[1]))));

    private static bool Knows(string spec)
    {
        try
        {
            return ProviderCatalog.Find(spec) is not null;
        }
        catch (Exception e) when (e is FormatException or NotSupportedException)
        {
            return false;
        }
    }
}

/// <summary>Stops the engines (removes Testcontainers containers) once every test has run.</summary>
[SetUpFixture]
public sealed class EngineLifetime
{
    [OneTimeTearDown]
    public Task StopEnginesAsync() => TestEngines.StopAllAsync();
}
