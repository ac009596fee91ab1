using System.Data.Common;
using System.Diagnostics;
using Npgsql;
using ReliabilityHarness.Providers;

namespace ReliabilityHarness.Cli;

/// <summary>
/// What an engineer would type instead of using the harness: the engine's own client loading the CSV into a staging
/// table with its bulk command, then one upsert with the same semantics as the robust strategy (insert new ids,
/// update the status of same-payload rows, leave the rest). It checks nothing and counts nothing; it is the speed
/// to beat. Also the floor: the bulk command alone into an empty keyed table.
/// </summary>
internal abstract class HandIdiom
{
    /// <summary>The client program, e.g. <c>psql</c>.</summary>
    public abstract string Tool { get; }

    /// <summary>The client's bulk command, for labels: <c>\copy</c>, <c>.import</c>.</summary>
    public abstract string BulkCommand { get; }

    /// <summary>The idiom for <paramref name="provider"/>, or null where the harness knows none.</summary>
    public static HandIdiom? For(Provider provider, string connectionString) => provider.Name switch
    {
        "postgresql" => new Psql(connectionString),
        "sqlite" => new Sqlite3(connectionString),
        _ => null,
    };

    /// <summary>Whether <see cref="Tool"/> is on the PATH.</summary>
    public bool Installed() =>
        (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Any(directory => File.Exists(Path.Combine(directory, Tool)));

    /// <summary>Staging table, bulk load, upsert into the payments table, in one transaction.</summary>
    public abstract string StagedUpsert(string csv);

    /// <summary>Creates (empty) the floor's table: the payments columns without processed_at, keyed on payment_id.</summary>
    public abstract string FloorSetup();

    /// <summary>Drops the floor's table.</summary>
    public static string FloorTeardown() => "DROP TABLE bench_floor;";

    /// <summary>The bulk command alone into the floor's table.</summary>
    public abstract string FloorLoad(string csv);

    /// <summary>Runs <paramref name="script"/> with the client (its file in <paramref name="directory"/>); throws with the client's message if it fails.</summary>
    public async Task RunAsync(string script, string directory, CancellationToken cancellationToken)
    {
        var file = Path.Combine(directory, $"idiom-{Guid.NewGuid():N}.sql");
        await File.WriteAllTextAsync(file, script, cancellationToken);
        try
        {
            var start = Start(file);
            start.RedirectStandardOutput = true;
            start.RedirectStandardError = true;
            using var process = Process.Start(start) ?? throw new InvalidOperationException($"cannot start {Tool}");
            var output = process.StandardOutput.ReadToEndAsync(cancellationToken);
            var errors = await process.StandardError.ReadToEndAsync(cancellationToken);
            await process.WaitForExitAsync(cancellationToken);
            await output;
            if (process.ExitCode != 0)
            {
                throw new InvalidOperationException($"{Tool} failed (exit {process.ExitCode}): {errors.Trim()}");
            }
        }
        finally
        {
            File.Delete(file);
        }
    }

    protected abstract ProcessStartInfo Start(string scriptFile);

    protected static string Literal(string path) => "'" + path.Replace("'", "''", StringComparison.Ordinal) + "'";

    /// <summary>psql with the connection in libpq's variables (the password never on a command line) and the isolated schema as search_path.</summary>
    private sealed class Psql(string connectionString) : HandIdiom
    {
        public override string Tool => "psql";

        public override string BulkCommand => @"\copy";

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

        protected override ProcessStartInfo Start(string scriptFile)
        {
            var builder = new NpgsqlConnectionStringBuilder(connectionString);
            var start = new ProcessStartInfo(Tool) { ArgumentList = { "-X", "-q", "-v", "ON_ERROR_STOP=1", "-f", scriptFile } };
            start.Environment["PGHOST"] = builder.Host;
            start.Environment["PGPORT"] = builder.Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
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

    /// <summary>The sqlite3 shell on the database file.</summary>
    private sealed class Sqlite3(string connectionString) : HandIdiom
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

        protected override ProcessStartInfo Start(string scriptFile)
        {
            var file = new DbConnectionStringBuilder { ConnectionString = connectionString }["Data Source"] as string
                ?? throw new InvalidOperationException("the SQLite connection string names no Data Source");
            return new ProcessStartInfo(Tool) { ArgumentList = { "-bail", file, ".read " + Literal(scriptFile) } };
        }
    }
}
