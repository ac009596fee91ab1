using System.Data.Common;
using DuckDB.NET.Data;
using ReliabilityHarness.Providers;

namespace ReliabilityHarness.DuckDb;

/// <summary>
/// DuckDB is a file, opened by one process at a time for writing (duckdb.org/docs/stable/connect/concurrency): a
/// run's database is a temporary file. The driver keeps one database per file while any connection to it is open
/// and closes the file with the last one, so another process can then open it.
/// </summary>
public sealed class DuckDbEngine(DuckDbDialect dialect) : EmbeddedEngine(dialect)
{
    public override string DefaultFileName => "payments.duckdb";

    public override string ConnectionStringFor(string path) => new DbConnectionStringBuilder { ["Data Source"] = path }.ConnectionString;

    public override async Task<string> VersionAsync(DbConnection connection, CancellationToken cancellationToken) =>
        $"DuckDB {await ScalarTextAsync(connection, "SELECT version()", cancellationToken)}";

    // A commit goes to the write-ahead log (<file>.wal) before it returns, and the log is replayed when the file is
    // next opened (duckdb.org/docs/stable/sql/statements/checkpoint). No setting in duckdb_settings() skips syncing
    // it, and DuckDB has no consistency check (PRAGMA integrity_check does not exist): both checks keep their
    // defaults, nothing found.
}
