using ReliabilityHarness.Providers;

namespace ReliabilityHarness.Engines;

/// <summary>
/// A running engine the harness may create isolated databases on: an embedded one, one named by
/// <c>HARNESS_&lt;ENGINE&gt;</c>, or one Testcontainers started (and removes on disposal).
/// </summary>
public sealed class EngineServer(Provider provider, string connectionString, string origin, IAsyncDisposable? owned = null) : IAsyncDisposable
{
    public Provider Provider { get; } = provider;

    /// <summary>Where the engine came from: "embedded", "HARNESS_POSTGRESQL", "Testcontainers postgres:17.6".</summary>
    public string Origin { get; } = origin;

    /// <summary>The server-level connection string, secrets included: pass it to drivers, never print it.</summary>
    public string ConnectionString { get; } = connectionString;

    /// <summary>Whether this process started the engine (Testcontainers), so that disposing it removes the engine.</summary>
    public bool StartedHere => owned is not null;

    public Task<IsolatedDatabase> CreateDatabaseAsync(CancellationToken cancellationToken = default) =>
        Provider.CreateIsolatedDatabaseAsync(ConnectionString, cancellationToken);

    public async ValueTask DisposeAsync()
    {
        if (owned is not null)
        {
            await owned.DisposeAsync();
        }
    }
}

/// <summary>Either a running engine or the reason there is none, in words a stranger can act on.</summary>
public sealed record EngineAvailability(EngineServer? Server, string? UnavailableReason)
{
    public bool IsAvailable => Server is not null;
}
