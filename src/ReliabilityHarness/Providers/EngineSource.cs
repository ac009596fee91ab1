using System.Data.Common;

namespace ReliabilityHarness.Providers;

/// <summary>
/// Where an engine comes from and how a run gets a database of its own there: an embedded engine (a database is a
/// file, <see cref="EmbeddedEngine"/>) or a server (<see cref="ServerEngine"/>: named by <c>HARNESS_&lt;ENGINE&gt;</c>,
/// or started by Testcontainers). Also what the engine says about itself: its version, settings that make a commit
/// not durable, and its own consistency check.
/// </summary>
public abstract class EngineSource
{
    protected EngineSource(Dialect dialect)
    {
        ArgumentNullException.ThrowIfNull(dialect);
        Dialect = dialect;
    }

    protected Dialect Dialect { get; }

    /// <summary>
    /// A database (or schema, or file) of its own on the engine <paramref name="serverConnectionString"/> reaches,
    /// dropped when disposed, so runs never see each other's rows.
    /// </summary>
    public abstract Task<IsolatedDatabase> CreateIsolatedDatabaseAsync(string serverConnectionString, CancellationToken cancellationToken);

    /// <summary>A one-line description of the engine's version, e.g. "PostgreSQL 15.18".</summary>
    public abstract Task<string> VersionAsync(DbConnection connection, CancellationToken cancellationToken);

    /// <summary>The engine's settings that make a commit not durable (fsync off, …), each as "setting = value"; empty when all are durable.</summary>
    public virtual Task<IReadOnlyList<string>> NonDurableSettingsAsync(DbConnection connection, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<string>>([]);

    /// <summary>What the engine's own consistency check finds wrong with the database; null when it finds nothing or has no such check.</summary>
    public virtual Task<string?> IntegrityProblemAsync(DbConnection connection, CancellationToken cancellationToken) => Task.FromResult<string?>(null);

    /// <summary>A throwaway engine in Docker, with a pinned image; null where the harness starts none (embedded engines need none).</summary>
    public virtual EngineContainer? Container => null;

    /// <summary>
    /// The engine at <paramref name="version"/> (a spec's <c>@version</c>: <c>16</c>, <c>11.4</c>): its container
    /// image of that version; null where a version cannot be chosen (<see cref="VersionFixed"/> says why).
    /// </summary>
    public virtual EngineSource? ForVersion(string version) => null;

    /// <summary>Why no version can be chosen (an embedded engine is the one its driver bundles); null where one can.</summary>
    public virtual string? VersionFixed => "the harness cannot choose this engine's version";

    /// <summary>How to get the engine on this machine without Docker, as the end of a sentence; null where the harness has no way.</summary>
    public virtual string? LocalEngineHint => null;

    /// <summary>The statements the engine part sends (version, durability, isolated databases), for checks that need no engine.</summary>
    public virtual IEnumerable<KeyValuePair<string, string>> Statements() => [];

    /// <summary>Runs one statement on a connection of its own.</summary>
    protected async Task ExecuteAsync(string connectionString, string sql, CancellationToken cancellationToken)
    {
        await using var connection = await Dialect.OpenAsync(connectionString, cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Runs one query on <paramref name="connection"/> and returns its first value as text.</summary>
    protected static async Task<string?> ScalarTextAsync(DbConnection connection, string sql, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connection);
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        return Convert.ToString(await command.ExecuteScalarAsync(cancellationToken), System.Globalization.CultureInfo.InvariantCulture);
    }
}

/// <summary>
/// An engine inside the process: a database is a file. A run's isolated database is a file in a temporary folder
/// of its own, deleted afterwards; the CLI's default is <see cref="DefaultFileName"/> in the current directory.
/// </summary>
public abstract class EmbeddedEngine(Dialect dialect) : EngineSource(dialect)
{
    /// <summary>The database file the CLI uses when no connection is given, e.g. <c>payments.db</c>.</summary>
    public abstract string DefaultFileName { get; }

    public override string? VersionFixed => "embedded: its version is the one its driver bundles (the matrix header says which)";

    /// <summary>The connection string of the database file at <paramref name="path"/>.</summary>
    public abstract string ConnectionStringFor(string path);

    /// <summary>The connection string of <see cref="DefaultFileName"/> in the current directory.</summary>
    public string DefaultConnectionString => ConnectionStringFor(DefaultFileName);

    public override Task<IsolatedDatabase> CreateIsolatedDatabaseAsync(string serverConnectionString, CancellationToken cancellationToken)
    {
        var directory = Directory.CreateTempSubdirectory($"reliability-{Dialect.Name}-");
        var path = Path.Combine(directory.FullName, DefaultFileName);
        return Task.FromResult(new IsolatedDatabase(ConnectionStringFor(path), path, () =>
        {
            Dialect.ClearPools();
            directory.Delete(recursive: true);
            return ValueTask.CompletedTask;
        }));
    }
}

/// <summary>
/// An engine behind a connection: the one <c>HARNESS_&lt;ENGINE&gt;</c> names, or the one Testcontainers starts from
/// <see cref="EngineSource.Container"/>. A run's isolated database is a database or schema of its own on it.
/// </summary>
public abstract class ServerEngine(Dialect dialect) : EngineSource(dialect)
{
    public override string? LocalEngineHint => "run scripts/engines.sh and export what it prints";

    /// <summary>
    /// The protocol the engine's clients speak, for the statement proxy of <c>reliability check</c>; null where the
    /// harness has no proxy for it (SQL Server's TDS).
    /// </summary>
    public virtual WireProtocol? Wire => null;

    /// <summary>
    /// A database of its own made on the server with <paramref name="create"/>, reached with
    /// <paramref name="connectionString"/>; disposing it forgets pooled connections and runs <paramref name="drop"/>.
    /// </summary>
    protected async Task<IsolatedDatabase> IsolateAsync(string serverConnectionString, string create, string drop, string connectionString, string description, CancellationToken cancellationToken)
    {
        await ExecuteAsync(serverConnectionString, create, cancellationToken);
        return new IsolatedDatabase(connectionString, description, async () =>
        {
            Dialect.ClearPools();
            await ExecuteAsync(serverConnectionString, drop, CancellationToken.None);
        });
    }
}

/// <summary>A Testcontainers engine: the pinned image and how to start it. Starting throws DockerUnavailableException when no Docker engine answers.</summary>
public sealed record EngineContainer(string Image, Func<CancellationToken, Task<StartedContainer>> StartAsync);
