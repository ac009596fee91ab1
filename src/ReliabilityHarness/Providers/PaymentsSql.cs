namespace ReliabilityHarness.Providers;

/// <summary>
/// The statements a provider writes for the payments table. Every value is a parameter with the names of
/// <see cref="PaymentsSql"/>'s constants, so one ingest loop drives every dialect.
/// </summary>
/// <param name="CreateTable">Creates the table if it does not exist.</param>
/// <param name="DropTable">Drops the table if it exists.</param>
/// <param name="Insert">The plain INSERT of the unreliable strategy: fails on a key that exists.</param>
/// <param name="Upsert">
/// The dialect's race-safe insert-or-update of the robust strategy. Inserts a new key; on an existing key updates
/// <c>status</c> and <c>processed_at</c> only when the payload (user, amount, currency) is the same and the status
/// differs, so it affects one row when it inserts or updates and none otherwise.
/// </param>
/// <param name="SelectById">The stored user_id, amount, currency, status of @payment_id.</param>
/// <param name="SelectAll">Every column of every row: payment_id, user_id, amount, currency, status, processed_at.</param>
/// <param name="Truncate">The engine's TRUNCATE of the table, or null where the dialect has none (SQLite).</param>
public sealed record PaymentsSql(string CreateTable, string DropTable, string Insert, string Upsert, string SelectById, string SelectAll, string? Truncate)
{
    public const string TableName = "payments";
    public const string PaymentId = "@payment_id";
    public const string UserId = "@user_id";
    public const string Amount = "@amount";
    public const string Currency = "@currency";
    public const string Status = "@status";
    public const string ProcessedAt = "@processed_at";

    /// <summary>The placeholder for the quoted table name in a provider's statements.</summary>
    public const string Table = "{table}";

    /// <summary>
    /// A provider's statements with <see cref="Table"/> replaced by <paramref name="quotedTable"/>. The plain
    /// INSERT, the reads and the DROP are standard SQL that every engine so far accepts as written here; a
    /// dialect that needs its own passes it.
    /// </summary>
    public static PaymentsSql For(string quotedTable, string createTable, string upsert, string? truncate,
        string dropTable = "DROP TABLE IF EXISTS {table}",
        string insert = StandardInsert,
        string selectById = "SELECT user_id, amount, currency, status FROM {table} WHERE payment_id = @payment_id",
        string selectAll = "SELECT payment_id, user_id, amount, currency, status, processed_at FROM {table}")
    {
        string Fill(string sql) => sql.Replace(Table, quotedTable, StringComparison.Ordinal);
        return new PaymentsSql(Fill(createTable), Fill(dropTable), Fill(insert), Fill(upsert), Fill(selectById), Fill(selectAll), truncate);
    }

    /// <summary>Every statement with a name, for checks that must see all of them.</summary>
    public IEnumerable<KeyValuePair<string, string>> Named()
    {
        yield return new(nameof(CreateTable), CreateTable);
        yield return new(nameof(DropTable), DropTable);
        yield return new(nameof(Insert), Insert);
        yield return new(nameof(Upsert), Upsert);
        yield return new(nameof(SelectById), SelectById);
        yield return new(nameof(SelectAll), SelectAll);
        if (Truncate is not null)
        {
            yield return new(nameof(Truncate), Truncate);
        }
    }

    private const string StandardInsert = """
        INSERT INTO {table} (payment_id, user_id, amount, currency, status, processed_at)
        VALUES (@payment_id, @user_id, @amount, @currency, @status, @processed_at)
        """;
}
