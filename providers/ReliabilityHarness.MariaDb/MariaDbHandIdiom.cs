using System.Diagnostics;
using System.Globalization;
using MySqlConnector;
using ReliabilityHarness.Providers;

namespace ReliabilityHarness.MariaDb;

/// <summary>
/// The mariadb client: <c>LOAD DATA LOCAL INFILE</c> into a staging table, then one <c>INSERT … ON DUPLICATE KEY
/// UPDATE</c>. The client reads the file and sends it (<c>--local-infile=1</c>; the server's <c>local_infile</c>,
/// on by default in MariaDB, mariadb.com/kb/en/server-system-variables/#local_infile); the password goes in
/// <c>MYSQL_PWD</c>, never on the command line.
/// </summary>
public sealed class MariaDbHandIdiom : ClientHandIdiom
{
    private const string Columns = """
        payment_id VARCHAR(64) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
        user_id VARCHAR(64) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
        amount DECIMAL(19,4) NOT NULL,
        currency CHAR(3) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
        status VARCHAR(32) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL
        """;

    public override string Tool => "mariadb";

    public override string BulkCommand => "LOAD DATA LOCAL INFILE";

    public override string StagedUpsert(string csv) => $"""
        START TRANSACTION;
        CREATE TEMPORARY TABLE staging ({Columns}) ENGINE = InnoDB;
        {Load(csv, "staging")}
        INSERT INTO payments (payment_id, user_id, amount, currency, status, processed_at)
        SELECT s.payment_id, s.user_id, s.amount, s.currency, s.status, NOW(6) FROM staging AS s
        ON DUPLICATE KEY UPDATE
            processed_at = IF(payments.user_id = VALUES(user_id) AND payments.amount = VALUES(amount) AND payments.currency = VALUES(currency) AND payments.status <> VALUES(status), VALUES(processed_at), payments.processed_at),
            status = IF(payments.user_id = VALUES(user_id) AND payments.amount = VALUES(amount) AND payments.currency = VALUES(currency) AND payments.status <> VALUES(status), VALUES(status), payments.status);
        COMMIT;
        DROP TEMPORARY TABLE staging;
        """;

    public override string FloorSetup() => $"""
        DROP TABLE IF EXISTS bench_floor;
        CREATE TABLE bench_floor ({Columns}, PRIMARY KEY (payment_id)) ENGINE = InnoDB;
        """;

    public override string FloorLoad(string csv) => Load(csv, "bench_floor");

    private static string Load(string csv, string table) =>
        $"LOAD DATA LOCAL INFILE {Literal(csv)} INTO TABLE {table} CHARACTER SET utf8mb4 FIELDS TERMINATED BY ',' OPTIONALLY ENCLOSED BY '\"' LINES TERMINATED BY '\\n' IGNORE 1 LINES (payment_id, user_id, amount, currency, status);";

    protected override ProcessStartInfo Start(string scriptFile, string connectionString)
    {
        var builder = new MySqlConnectionStringBuilder(connectionString);
        var start = new ProcessStartInfo(Tool)
        {
            ArgumentList =
            {
                "--local-infile=1", "--batch", "--host", builder.Server, "--port", builder.Port.ToString(CultureInfo.InvariantCulture),
                // The script itself, not "source FILE": a sourced script goes on after an error and exits 0.
                "--user", builder.UserID, "--database", builder.Database, "--execute", File.ReadAllText(scriptFile),
            },
        };
        start.Environment["MYSQL_PWD"] = builder.Password;
        return start;
    }
}
