using System.Data.Common;
using System.Diagnostics;
using ReliabilityHarness.Providers;

namespace ReliabilityHarness.Sqlite;

/// <summary>The sqlite3 shell on the database file: <c>.import</c> into a staging table, then one upsert.</summary>
public sealed class SqliteHandIdiom : ClientHandIdiom
{
    public override string Tool => "sqlite3";

    public override string BulkCommand => ".import";

    public override string StagedUpsert(string csv) => $"""
        .bail on
        CREATE TEMP TABLE staging (payment_id TEXT, user_id TEXT, amount TEXT, currency TEXT, status TEXT);
        BEGIN;
        .import --csv --skip 1 --schema temp {Literal(csv)} staging
        INSERT INTO payments AS p (payment_id, user_id, amount, currency, status, processed_at)
        SELECT payment_id, user_id, amount, currency, status, strftime('%Y-%m-%dT%H:%M:%fZ', 'now') FROM temp.staging WHERE true
        ON CONFLICT (payment_id) DO UPDATE SET status = excluded.status, processed_at = excluded.processed_at
        WHERE p.user_id = excluded.user_id AND p.amount = excluded.amount AND p.currency = excluded.currency AND p.status <> excluded.status;
        COMMIT;
        """;

    public override string FloorSetup() => """
        DROP TABLE IF EXISTS bench_floor;
        CREATE TABLE bench_floor (payment_id TEXT PRIMARY KEY, user_id TEXT NOT NULL, amount TEXT NOT NULL, currency TEXT NOT NULL, status TEXT NOT NULL);
        """;

    public override string FloorLoad(string csv) => $".bail on\n.import --csv --skip 1 {Literal(csv)} bench_floor\n";

    protected override ProcessStartInfo Start(string scriptFile, string connectionString)
    {
        var file = new DbConnectionStringBuilder { ConnectionString = connectionString }["Data Source"] as string
            ?? throw new InvalidOperationException("the SQLite connection string names no Data Source");
        return new ProcessStartInfo(Tool) { ArgumentList = { "-bail", file, ".read " + Literal(scriptFile) } };
    }
}
