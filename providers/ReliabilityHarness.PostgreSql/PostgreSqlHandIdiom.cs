using System.Diagnostics;
using System.Globalization;
using Npgsql;
using ReliabilityHarness.Providers;

namespace ReliabilityHarness.PostgreSql;

/// <summary>psql with the connection in libpq's variables (the password never on a command line) and the isolated schema as search_path.</summary>
public sealed class PostgreSqlHandIdiom : ClientHandIdiom
{
    public override string Tool => "psql";

    public override string BulkCommand => @"\copy";

    // The project's target: the harness's first load within 1.5× of \copy alone.
    public override double? FloorTarget => 1.5;

    public override string StagedUpsert(string csv) => $"""
        BEGIN;
        CREATE TEMP TABLE staging (payment_id text, user_id text, amount numeric, currency text, status text) ON COMMIT DROP;
        \copy staging FROM {Literal(csv)} WITH (FORMAT csv, HEADER true)
        INSERT INTO payments AS p (payment_id, user_id, amount, currency, status, processed_at)
        SELECT payment_id, user_id, amount, currency, status, now() FROM staging
        ON CONFLICT (payment_id) DO UPDATE SET status = EXCLUDED.status, processed_at = EXCLUDED.processed_at
        WHERE p.user_id = EXCLUDED.user_id AND p.amount = EXCLUDED.amount AND p.currency = EXCLUDED.currency AND p.status <> EXCLUDED.status;
        COMMIT;
        """;

    public override string FloorSetup() => """
        DROP TABLE IF EXISTS bench_floor;
        CREATE TABLE bench_floor (payment_id varchar(64) PRIMARY KEY, user_id varchar(64) NOT NULL, amount numeric(19,4) NOT NULL, currency char(3) NOT NULL, status varchar(32) NOT NULL);
        """;

    public override string FloorLoad(string csv) => $@"\copy bench_floor FROM {Literal(csv)} WITH (FORMAT csv, HEADER true)";

    protected override ProcessStartInfo Start(string scriptFile, string connectionString)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        var start = new ProcessStartInfo(Tool) { ArgumentList = { "-X", "-q", "-v", "ON_ERROR_STOP=1", "-f", scriptFile } };
        start.Environment["PGHOST"] = builder.Host;
        start.Environment["PGPORT"] = builder.Port.ToString(CultureInfo.InvariantCulture);
        start.Environment["PGDATABASE"] = builder.Database;
        start.Environment["PGUSER"] = builder.Username;
        start.Environment["PGPASSWORD"] = builder.Password;

        // The same transport as the harness's own connection: Npgsql and libpq both prefer TLS by default, and
        // a connection string that says otherwise is followed on both sides.
        start.Environment["PGSSLMODE"] = builder.SslMode switch
        {
            SslMode.Disable => "disable",
            SslMode.Allow => "allow",
            SslMode.Require => "require",
            SslMode.VerifyCA => "verify-ca",
            SslMode.VerifyFull => "verify-full",
            _ => "prefer",
        };
        start.Environment["PGOPTIONS"] = "-c client_min_messages=warning" + (builder.SearchPath is { Length: > 0 } schema ? $" -c search_path={schema}" : string.Empty);
        return start;
    }
}
