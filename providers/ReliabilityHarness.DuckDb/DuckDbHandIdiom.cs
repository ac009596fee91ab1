using ReliabilityHarness.Providers;

namespace ReliabilityHarness.DuckDb;

/// <summary>
/// What an engineer writes on DuckDB, sent as plain SQL through the driver (Debian packages no DuckDB shell):
/// <c>COPY … FROM</c> the CSV into a staging table typed as the payments table, then one <c>INSERT … ON CONFLICT</c>.
/// DuckDB reads a DECIMAL wider than 18 digits from text on a slow path (measured: a staging column of
/// DECIMAL(18,4) loads 1,000,000 rows about 1.7× faster, VARCHAR cast afterwards about 3× slower); the idiom keeps
/// the table's type, as an engineer copying its definition would.
/// </summary>
public sealed class DuckDbHandIdiom(DuckDbDialect dialect) : DriverHandIdiom(dialect)
{
    public override string BulkCommand => "COPY";

    public override string StagedUpsert(string csv) => $"""
        BEGIN;
        DROP TABLE IF EXISTS temp.staging;
        CREATE TEMP TABLE staging (payment_id VARCHAR, user_id VARCHAR, amount DECIMAL(19,4), currency VARCHAR, status VARCHAR);
        COPY staging FROM {Literal(csv)} (HEADER);
        INSERT INTO payments AS p (payment_id, user_id, amount, currency, status, processed_at)
        SELECT payment_id, user_id, amount, currency, status, now() FROM staging
        ON CONFLICT (payment_id) DO UPDATE SET status = EXCLUDED.status, processed_at = EXCLUDED.processed_at
        WHERE p.user_id = EXCLUDED.user_id AND p.amount = EXCLUDED.amount AND p.currency = EXCLUDED.currency AND p.status <> EXCLUDED.status;
        COMMIT;
        """;

    public override string FloorSetup() => """
        DROP TABLE IF EXISTS bench_floor;
        CREATE TABLE bench_floor (payment_id VARCHAR PRIMARY KEY, user_id VARCHAR NOT NULL, amount DECIMAL(19,4) NOT NULL, currency VARCHAR NOT NULL, status VARCHAR NOT NULL);
        """;

    public override string FloorLoad(string csv) => $"COPY bench_floor FROM {Literal(csv)} (HEADER);";
}
