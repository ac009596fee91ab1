using System.Globalization;

namespace ReliabilityHarness.Providers;

/// <summary>
/// The statements of the robust strategy's set-based path. A run streams its input into a staging table private to
/// its session (columns <c>line, payment_id, user_id, amount, currency, status</c>), then writes the payments table
/// from it with a few set-based statements, all inside the one transaction. The queries the core needs about the
/// staged rows are standard SQL written here once; a provider gives its temporary table and its dialect's writes.
/// </summary>
/// <param name="Create">Creates the staging table inside the run's transaction.</param>
/// <param name="Drop">Drops it if it exists (a pooled session may keep one); null where the engine drops it itself.</param>
/// <param name="UpdateChanged">
/// Sets status and processed_at (= @processed_at) of every stored payment whose staged row has the same payload and
/// another status; its affected-row count is the number updated.
/// </param>
/// <param name="InsertNew">
/// Inserts every staged payment whose id is not stored, processed_at = @processed_at, leaving stored ids untouched
/// (an id another writer commits meanwhile is skipped, not an error); its affected-row count is the number inserted.
/// Staged rows that repeat an id are identical by then (the core refuses the run otherwise).
/// </param>
/// <param name="Staging">The staging table's name as the statements write it (quoted, qualified where needed).</param>
/// <param name="Terminator">What ends a statement in the dialect's own style (T-SQL: a semicolon); empty elsewhere.</param>
/// <param name="Table">The payments table's name as the statements write it (quoted).</param>
/// <param name="CountIdentical">
/// How many staged rows the table holds exactly so (same id, payload and status): <see cref="StandardCountIdentical"/>
/// unless the dialect needs its own form.
/// </param>
public sealed record StagingSql(string Create, string? Drop, string UpdateChanged, string InsertNew, string Staging, string Terminator, string Table,
    string CountIdentical)
{
    public const string Line = "@line";

    /// <summary>The placeholder for the staging table's name in a provider's statements.</summary>
    public const string StagingTable = "{staging}";

    /// <summary>The staging table's columns, in the order every writer fills them.</summary>
    public static readonly IReadOnlyList<string> Columns = ["line", "payment_id", "user_id", "amount", "currency", "status"];

    private const string Selected = "s.line, s.payment_id, s.user_id, s.amount, s.currency, s.status";

    /// <summary>
    /// <see cref="UpdateChanged"/> as <c>UPDATE … FROM</c> (PostgreSQL; SQLite since 3.33): a stored row joins its
    /// staged rows; repeated ids are identical by then, so which one joins does not matter
    /// (postgresql.org/docs/current/sql-update.html, sqlite.org/lang_update.html#update_from).
    /// </summary>
    public const string UpdateFrom = """
        UPDATE {table} AS p SET status = s.status, processed_at = @processed_at
        FROM {staging} AS s
        WHERE p.payment_id = s.payment_id AND p.user_id = s.user_id AND p.amount = s.amount
          AND p.currency = s.currency AND p.status <> s.status
        """;

    /// <summary>A provider's statements with <see cref="StagingTable"/> and <see cref="PaymentsSql.Table"/> filled in.</summary>
    public static StagingSql For(string quotedStaging, string quotedTable, string create, string? drop, string insertNew,
        string updateChanged = UpdateFrom, string terminator = "", string? countIdentical = null)
    {
        string Fill(string sql) => sql
            .Replace(StagingTable, quotedStaging, StringComparison.Ordinal)
            .Replace(PaymentsSql.Table, quotedTable, StringComparison.Ordinal);
        return new StagingSql(Fill(create), drop is null ? null : Fill(drop), Fill(updateChanged), Fill(insertNew), quotedStaging, terminator, quotedTable,
            Fill(countIdentical ?? StandardCountIdentical + terminator));
    }

    /// <summary><see cref="CountIdentical"/> in standard SQL: a join on the key, every other column equal.</summary>
    public const string StandardCountIdentical = """
        SELECT COUNT(*) FROM {staging} s JOIN {table} p ON p.payment_id = s.payment_id
        WHERE p.user_id = s.user_id AND p.amount = s.amount AND p.currency = s.currency AND p.status = s.status
        """;

    /// <summary>The prefix of the amount parameters of <see cref="InsertRows"/>.</summary>
    public const string AmountPrefix = "@a";

    private static readonly string[] Prefixes = ["@l", "@p", "@u", AmountPrefix, "@c", "@s"];

    /// <summary>The prefix of the processed_at parameters of <see cref="LoadRows"/>.</summary>
    public const string ProcessedAtPrefix = "@t";

    private static readonly string[] LoadPrefixes = ["@p", "@u", AmountPrefix, "@c", "@s", ProcessedAtPrefix];

    /// <summary>The payments table's columns as <see cref="LoadRows"/> fills them.</summary>
    public static readonly IReadOnlyList<string> LoadColumns = ["payment_id", "user_id", "amount", "currency", "status", "processed_at"];

    /// <summary>
    /// The parameters of row <paramref name="row"/> of <see cref="InsertRows"/>, in <see cref="Columns"/> order:
    /// <c>@l{row}, @p{row}, @u{row}, @a{row}, @c{row}, @s{row}</c>; with <paramref name="load"/>, those of
    /// <see cref="LoadRows"/> in <see cref="LoadColumns"/> order: <c>@p{row}, @u{row}, @a{row}, @c{row}, @s{row}, @t{row}</c>.
    /// </summary>
    public static IEnumerable<string> RowParameters(int row, bool load = false) =>
        (load ? LoadPrefixes : Prefixes).Select(prefix => prefix + row.ToString(CultureInfo.InvariantCulture));

    /// <summary>A multi-row INSERT of <paramref name="rows"/> staged rows, parameters <see cref="RowParameters"/> of each, by name or by position.</summary>
    public string InsertRows(int rows) => MultiRowInsert(Staging, Columns, rows, load: false);

    /// <summary>
    /// A multi-row INSERT of <paramref name="rows"/> payments straight into the payments table (a first load into an
    /// empty table needs no staging), parameters <c>RowParameters(row, load: true)</c> of each; every <c>@t</c> is the
    /// run's processed_at. A plain INSERT: an id that is stored fails it with the engine's duplicate-key error.
    /// </summary>
    public string LoadRows(int rows) => MultiRowInsert(Table, LoadColumns, rows, load: true);

    private string MultiRowInsert(string table, IReadOnlyList<string> columns, int rows, bool load) =>
        $"INSERT INTO {table} ({string.Join(", ", columns)}) VALUES "
        + string.Join(", ", Enumerable.Range(0, rows).Select(i => $"({string.Join(", ", RowParameters(i, load))})"))
        + Terminator;

    /// <summary>
    /// The staged rows whose id is one of <paramref name="ids"/> parameters (<c>@id0</c>…), or every staged row when
    /// 0, ordered by id then line: rows of one id come together, its first occurrence first.
    /// </summary>
    public string RowsById(int ids) =>
        $"SELECT {Selected} FROM {Staging} s"
        + (ids > 0 ? $" WHERE s.payment_id IN ({string.Join(", ", Enumerable.Range(0, ids).Select(i => $"@id{i}"))})" : string.Empty)
        + " ORDER BY s.payment_id, s.line" + Terminator;

    /// <summary>
    /// Staged rows whose id is stored with another payload or status, earliest line first, with the stored
    /// user_id, amount, currency and status after them. With <paramref name="before"/>, only lines before @line.
    /// </summary>
    public string Mismatches(bool before = false) =>
        $"SELECT {Selected}, p.user_id, p.amount, p.currency, p.status FROM {Staging} s JOIN {Table} p ON p.payment_id = s.payment_id"
        + " WHERE NOT (p.user_id = s.user_id AND p.amount = s.amount AND p.currency = s.currency AND p.status = s.status)"
        + (before ? $" AND s.line < {Line}" : string.Empty)
        + " ORDER BY s.line" + Terminator;

    /// <summary>
    /// Staged rows whose id is not stored, earliest line first: none once the inserts ran, unless the engine skipped a
    /// row without an error (MariaDB's <c>ON DUPLICATE KEY</c> does on any unique key of the table).
    /// </summary>
    public string Unwritten =>
        $"SELECT s.line, s.payment_id FROM {Staging} s LEFT JOIN {Table} p ON p.payment_id = s.payment_id WHERE p.payment_id IS NULL ORDER BY s.line" + Terminator;

    /// <summary>1 when the payments table holds any row, else 0.</summary>
    public string AnyStored => $"SELECT CASE WHEN EXISTS (SELECT 1 FROM {Table}) THEN 1 ELSE 0 END" + Terminator;

    /// <summary>Every statement with a name, for checks that must see all of them (one row and one id stand for many).</summary>
    public IEnumerable<KeyValuePair<string, string>> Named()
    {
        yield return new("Staging.Create", Create);
        if (Drop is not null)
        {
            yield return new("Staging.Drop", Drop);
        }

        yield return new("Staging.UpdateChanged", UpdateChanged);
        yield return new("Staging.InsertNew", InsertNew);
        yield return new("Staging.InsertRows", InsertRows(2));
        yield return new("Staging.LoadRows", LoadRows(2));
        yield return new("Staging.RowsById", RowsById(2));
        yield return new("Staging.AllRows", RowsById(0));
        yield return new("Staging.AnyStored", AnyStored);
        yield return new("Staging.Unwritten", Unwritten);
        yield return new("Staging.CountIdentical", CountIdentical);
        yield return new("Staging.Mismatches", Mismatches());
        yield return new("Staging.MismatchesBefore", Mismatches(before: true));
    }
}
