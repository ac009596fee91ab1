namespace ReliabilityHarness.Providers;

/// <summary>A database (or schema, or file) that belongs to one run and is removed when disposed.</summary>
public sealed class IsolatedDatabase(string connectionString, string description, Func<ValueTask> drop) : IAsyncDisposable
{
    private int disposed;

    /// <summary>The connection string, secrets included: pass it to drivers, never print it.</summary>
    public string ConnectionString { get; } = connectionString;

    /// <summary>What to show a person: where the database is, without secrets.</summary>
    public string Description { get; } = description;

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref disposed, 1) == 0)
        {
            await drop();
        }
    }
}

/// <summary>An engine Testcontainers started; disposing it removes the container.</summary>
public sealed record StartedContainer(string ConnectionString, IAsyncDisposable Container);
