using System.Data.Common;
using NUnit.Framework;
using PaymentsPipeline;
using ReliabilityHarness.Providers;

namespace PaymentsPipeline.Tests;

/// <summary>The payments table before a load, on each engine the sample speaks: created anew, with two payments already in it.</summary>
internal static class PaymentsTable
{
    public const string Name = "payments";

    // Two payments stored before the day's load: one from the day before, and the day's first, as a load that
    // stopped after it would have left it. The loaders must keep both as they are.
    private static readonly Payment[] Stored =
    [
        new("pay-00000", "cust-000", 42.50m, "EUR", new DateOnly(2025, 5, 31)),
        SamplePayments.All[0],
    ];

    // SQLite: the amount is TEXT in a STRICT table. A column declared DECIMAL has NUMERIC affinity and would store
    // 12.34 as the nearest double (sqlite.org/datatype3.html §3.1); Microsoft.Data.Sqlite binds a decimal as its
    // text, which STRICT keeps as it is. The others have an exact DECIMAL.
    private static string CreateSql(SqlDialect dialect) => dialect switch
    {
        SqlDialect.Sqlite => """
            CREATE TABLE payments (
                payment_id  TEXT NOT NULL PRIMARY KEY,
                customer_id TEXT NOT NULL,
                amount      TEXT NOT NULL,
                currency    TEXT NOT NULL,
                booked_on   TEXT NOT NULL
            ) STRICT
            """,
        SqlDialect.PostgreSql or SqlDialect.MariaDb => """
            CREATE TABLE payments (
                payment_id  VARCHAR(32)   NOT NULL PRIMARY KEY,
                customer_id VARCHAR(32)   NOT NULL,
                amount      DECIMAL(18,4) NOT NULL,
                currency    CHAR(3)       NOT NULL,
                booked_on   DATE          NOT NULL
            )
            """,
        SqlDialect.DuckDb => """
            CREATE TABLE payments (
                payment_id  VARCHAR       NOT NULL PRIMARY KEY,
                customer_id VARCHAR       NOT NULL,
                amount      DECIMAL(18,4) NOT NULL,
                currency    VARCHAR       NOT NULL,
                booked_on   DATE          NOT NULL
            )
            """,
        _ => throw new ArgumentOutOfRangeException(nameof(dialect), dialect, null),
    };

    /// <summary>The loaders' dialect for the harness's engine; an engine the sample does not speak is ignored, with the reason.</summary>
    public static SqlDialect DialectOf(Provider provider)
    {
        switch (provider.Name)
        {
            case "sqlite": return SqlDialect.Sqlite;
            case "postgresql": return SqlDialect.PostgreSql;
            case "duckdb": return SqlDialect.DuckDb;
            case "mariadb": return SqlDialect.MariaDb;
            default:
                Assert.Ignore($"the sample's loaders speak SQLite, PostgreSQL, DuckDB and MariaDB, not {provider.DisplayName} (its skip-stored-ids insert would be a MERGE)");
                throw new InvalidOperationException("unreachable: Assert.Ignore throws");
        }
    }

    /// <summary>Drops and creates the table and stores the two payments.</summary>
    public static async Task ResetAsync(SqlDialect dialect, DbConnection connection, CancellationToken cancellationToken)
    {
        await ExecuteAsync(connection, "DROP TABLE IF EXISTS payments", cancellationToken);
        await ExecuteAsync(connection, CreateSql(dialect), cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        foreach (var rows in Stored.Chunk(PaymentsInsert.RowsPerStatement))
        {
            await PaymentsInsert.ExecuteAsync(dialect, connection, transaction, rows, cancellationToken);
        }
        await transaction.CommitAsync(cancellationToken);
    }

    private static async Task ExecuteAsync(DbConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
