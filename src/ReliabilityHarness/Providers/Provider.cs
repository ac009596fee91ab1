using System.Data.Common;
using ReliabilityHarness.Payments;

namespace ReliabilityHarness.Providers;

/// <summary>
/// One engine, as the harness knows it: its <see cref="Dialect"/> (required), where an engine comes from
/// (<see cref="Engine"/>, required), its <see cref="Bulk"/> path and its <see cref="HandIdiom"/> for <c>bench</c>
/// where it has them. A provider project builds one in its <c>&lt;Engine&gt;Provider.Create()</c>; the CLI's
/// catalog lists them.
/// </summary>
public sealed class Provider
{
    public Provider(Dialect dialect, EngineSource engine, BulkPath? bulk = null, HandIdiom? handIdiom = null)
        : this(dialect, engine, bulk, handIdiom, null)
    {
    }

    private Provider(Dialect dialect, EngineSource engine, BulkPath? bulk, HandIdiom? handIdiom, EngineSpec? spec)
    {
        ArgumentNullException.ThrowIfNull(dialect);
        ArgumentNullException.ThrowIfNull(engine);
        (Dialect, Engine, Bulk, HandIdiom) = (dialect, engine, bulk, handIdiom);
        Spec = spec ?? new EngineSpec(dialect.Name);
    }

    /// <summary>Which engine this is: the dialect's name, and the version (and variant) when one was asked for.</summary>
    public EngineSpec Spec { get; }

    public Dialect Dialect { get; }

    public EngineSource Engine { get; }

    public BulkPath? Bulk { get; }

    public HandIdiom? HandIdiom { get; }

    /// <summary>The CLI and environment spelling, its spec: <c>sqlite</c>, <c>postgresql</c>, <c>postgresql@16</c>, <c>mariadb</c>, <c>duckdb</c>.</summary>
    public string Name => Spec.ToString();

    /// <summary>The class-prefix spelling, also the name of the engine's test runs: <c>Sqlite</c>, <c>PostgreSql</c>, <c>PostgreSql@16</c>.</summary>
    public string DisplayName => Dialect.DisplayName + Spec.ToString()[Dialect.Name.Length..];

    /// <summary>The variable that hands the harness a running engine, e.g. <c>HARNESS_POSTGRESQL</c>, <c>HARNESS_POSTGRESQL_16</c>.</summary>
    public string EnvironmentVariable => Spec.VariableName;

    /// <summary>
    /// The variables that may hand the harness this engine, first found wins: its own, then, for a variant, the
    /// unvaried engine's (<c>HARNESS_MARIADB</c> for <c>mariadb+snapshot-isolation</c>): a variant is a configuration
    /// the harness applies to its own sessions and databases, so the same server serves both.
    /// </summary>
    public IReadOnlyList<string> EnvironmentVariables =>
        Spec.Variant is null ? [EnvironmentVariable] : [EnvironmentVariable, (Spec with { Variant = null }).VariableName];

    /// <summary>
    /// This engine at the version (and variant) <paramref name="spec"/> names: the same dialect, an engine source for
    /// that version (its own connection variable; its own container image), the spec as its name.
    /// </summary>
    /// <exception cref="NotSupportedException">The engine cannot be had at that version, or has no such variant: says why.</exception>
    public Provider For(EngineSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        if (spec.Engine != Dialect.Name)
        {
            throw new ArgumentException($"{spec} is not a spec of {Dialect.Name}", nameof(spec));
        }

        var dialect = spec.Variant is { } variant
            ? Dialect.ForVariant(variant) ?? throw new NotSupportedException($"{Dialect.Name} has no variant '+{variant}'"
                + (Dialect.Variants.Count > 0 ? $" (its variants: {string.Join(", ", Dialect.Variants.Select(v => "+" + v))})" : string.Empty))
            : Dialect;
        var engine = spec.Version is { } version
            ? Engine.ForVersion(version) ?? throw new NotSupportedException($"{Dialect.Name}@{version}: {Engine.VersionFixed ?? "no version can be chosen"}")
            : Engine;
        return new Provider(dialect, engine, Bulk, HandIdiom, spec);
    }

    /// <summary>Whether the engine runs inside the process (a database is a file).</summary>
    public bool IsEmbedded => Engine is EmbeddedEngine;

    /// <summary>
    /// A database of its own on the engine <paramref name="serverConnectionString"/> reaches (<see cref="EngineSource.CreateIsolatedDatabaseAsync"/>),
    /// set up as the dialect's variant needs (<see cref="Dialect.DatabaseSetupSql"/>); dropped if that fails.
    /// </summary>
    public async Task<IsolatedDatabase> CreateIsolatedDatabaseAsync(string serverConnectionString, CancellationToken cancellationToken)
    {
        var database = await Engine.CreateIsolatedDatabaseAsync(serverConnectionString, cancellationToken);
        if (Dialect.DatabaseSetupSql is not { } setup)
        {
            return database;
        }

        try
        {
            await using var connection = await Dialect.OpenAsync(database.ConnectionString, cancellationToken);
            await using var command = DbCommands.Create(connection, null, setup);
            await command.ExecuteNonQueryAsync(cancellationToken);
            return database;
        }
        catch
        {
            await database.DisposeAsync();
            throw;
        }
    }

    /// <summary>Every statement the provider can send, by name, for checks that need no engine.</summary>
    public IEnumerable<KeyValuePair<string, string>> Statements() => Dialect.Statements().Concat(Engine.Statements());

    /// <summary>Creates the run's staging table (dropping one a pooled session kept) and returns the writer that fills it.</summary>
    public async Task<StagingWriter> BeginStagingAsync(DbConnection connection, DbTransaction transaction, CancellationToken cancellationToken)
    {
        foreach (var sql in new[] { Dialect.Staging.Drop, Dialect.Staging.Create })
        {
            if (sql is not null)
            {
                await using var command = DbCommands.Create(connection, transaction, sql);
                await command.ExecuteNonQueryAsync(cancellationToken);
            }
        }

        return Bulk is null
            ? new BatchedInsertStagingWriter(Dialect, connection, transaction, Dialect.RowsPerInsert)
            : await Bulk.BeginStagingAsync(connection, transaction, cancellationToken);
    }

    /// <summary>The writer of a first load into the empty payments table (<see cref="Dialect.LoadsEmptyTableDirectly"/>).</summary>
    public async Task<StagingWriter> BeginFirstLoadAsync(DbConnection connection, DbTransaction transaction, DateTimeOffset processedAt, CancellationToken cancellationToken) =>
        Bulk?.BeginFirstLoadAsync(connection, transaction, processedAt, cancellationToken) is { } bulk
            ? await bulk
            : new BatchedInsertStagingWriter(Dialect, connection, transaction, Dialect.RowsPerInsert, processedAt);

    /// <summary>The stored payments in scan order (<see cref="BulkPath.ReadStoredInScanOrder"/>); null without a bulk path that reads so.</summary>
    public IAsyncEnumerable<Payment>? ReadStoredInScanOrder(DbConnection connection, DbTransaction transaction, CancellationToken cancellationToken) =>
        Bulk?.ReadStoredInScanOrder(connection, transaction, cancellationToken);

    public override string ToString() => DisplayName;
}
