using System.Data.Common;
using System.Globalization;
using Microsoft.Data.Sqlite;
using ReliabilityHarness.Providers;

namespace ReliabilityHarness.Sqlite;

/// <summary>SQLite is a file: a run's database is a temporary file (not :memory:, so several connections share it).</summary>
public sealed class SqliteEngine(SqliteDialect dialect) : EmbeddedEngine(dialect)
{
    public override string DefaultFileName => "payments.db";

    public override string ConnectionStringFor(string path) => new SqliteConnectionStringBuilder { DataSource = path }.ToString();

    public override async Task<string> VersionAsync(DbConnection connection, CancellationToken cancellationToken) =>
        // Reading the schema version makes SQLite read the file's header, so a file that is not a database
        // (SQLITE_NOTADB) is found when connecting, not half-way through a run.
        $"SQLite {await ScalarTextAsync(connection, "SELECT sqlite_version() FROM pragma_schema_version", cancellationToken)}";

    // synchronous below FULL lets a power loss undo commits in WAL mode, or corrupt the file with a rollback
    // journal (sqlite.org/pragma.html#pragma_synchronous).
    public override async Task<IReadOnlyList<string>> NonDurableSettingsAsync(DbConnection connection, CancellationToken cancellationToken)
    {
        var level = long.Parse(await ScalarTextAsync(connection, "PRAGMA synchronous", cancellationToken) ?? "0", CultureInfo.InvariantCulture);
        return level >= 2 ? [] : [$"synchronous = {level} (FULL is 2)"];
    }

    public override async Task<string?> IntegrityProblemAsync(DbConnection connection, CancellationToken cancellationToken) =>
        await ScalarTextAsync(connection, "PRAGMA integrity_check", cancellationToken) is var result && result == "ok" ? null : result;
}
