using System.Data;
using System.Data.Common;
using System.Globalization;
using ReliabilityHarness.Providers;

namespace ReliabilityHarness.Pipelines;

/// <summary>A table the check compares: <c>name</c> or <c>schema.name</c>, each part quoted by the dialect.</summary>
public sealed record TableName(string? Schema, string Name)
{
    public static TableName Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var parts = text.Trim().Split('.');
        return parts switch
        {
            [var name] when name.Length > 0 => new TableName(null, name),
            [var schema, var name] when schema.Length > 0 && name.Length > 0 => new TableName(schema, name),
            _ => throw new ArgumentException($"'{text}' is not a table name (expected name or schema.name)", nameof(text)),
        };
    }

    public string Quoted(Dialect dialect)
    {
        ArgumentNullException.ThrowIfNull(dialect);
        return Schema is null ? dialect.Quote(Name) : $"{dialect.Quote(Schema)}.{dialect.Quote(Name)}";
    }

    public override string ToString() => Schema is null ? Name : $"{Schema}.{Name}";
}

/// <summary>
/// The rows of one table, every column, as the engine returned them and as canonical text for comparing; sorted by
/// the primary key's columns (as the driver reports them), then every other column.
/// </summary>
public sealed class TableRows
{
    internal TableRows(TableName table, IReadOnlyList<string> columns, IReadOnlyList<int> key, IReadOnlyList<object?[]> values)
    {
        (Table, Columns, Key, Values) = (table, columns, key, values);
        Text = values.Select(row => row.Select(Canonical).ToArray()).ToList();
        var order = key.Concat(Enumerable.Range(0, columns.Count).Except(key)).ToArray();
        var sorted = Enumerable.Range(0, values.Count).Order(Comparer<int>.Create((a, b) =>
        {
            foreach (var column in order)
            {
                if (string.CompareOrdinal(Text[a][column], Text[b][column]) is var c and not 0)
                {
                    return c;
                }
            }

            return 0;
        })).ToList();
        Values = sorted.Select(i => values[i]).ToList();
        Text = sorted.Select(i => Text[i]).ToList();
    }

    public TableName Table { get; }

    public IReadOnlyList<string> Columns { get; }

    /// <summary>The primary key's column positions; empty when the table has none (all columns then order the rows).</summary>
    public IReadOnlyList<int> Key { get; }

    /// <summary>The values as read, for restoring them.</summary>
    public IReadOnlyList<object?[]> Values { get; }

    /// <summary>The values as canonical text (null stays null), row by row in sorted order.</summary>
    public IReadOnlyList<string?[]> Text { get; }

    /// <summary>A value as text that compares equal exactly when the values are equal: invariant culture, exact decimals, bytes in hex.</summary>
    internal static string? Canonical(object? value) => value switch
    {
        null or DBNull => null,
        byte[] bytes => "0x" + Convert.ToHexString(bytes),
        DateTime time => time.ToString("O", CultureInfo.InvariantCulture),
        DateTimeOffset time => time.ToString("O", CultureInfo.InvariantCulture),
        double number => number.ToString("R", CultureInfo.InvariantCulture),
        float number => number.ToString("R", CultureInfo.InvariantCulture),
        IFormattable formattable => formattable.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString(),
    };
}

/// <summary>What the checked tables hold at one moment: every row, every column.</summary>
public sealed class DatabaseState
{
    private DatabaseState(IReadOnlyList<TableRows> tables) => Tables = tables;

    public IReadOnlyList<TableRows> Tables { get; }

    public int RowCount => Tables.Sum(t => t.Values.Count);

    /// <summary>Reads every row of <paramref name="tables"/>. A table that cannot be read throws <see cref="TableUnreadableException"/>.</summary>
    public static async Task<DatabaseState> CaptureAsync(Dialect dialect, string connectionString, IReadOnlyList<TableName> tables, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(dialect);
        ArgumentNullException.ThrowIfNull(tables);
        await using var connection = await dialect.OpenAsync(connectionString, cancellationToken);
        var read = new List<TableRows>();
        foreach (var table in tables)
        {
            read.Add(await ReadAsync(dialect, connection, table, cancellationToken));
        }

        return new DatabaseState(read);
    }

    private static async Task<TableRows> ReadAsync(Dialect dialect, DbConnection connection, TableName table, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = $"SELECT * FROM {table.Quoted(dialect)}";
        DbDataReader reader;
        try
        {
            // KeyInfo asks the driver which columns form the primary key (SQLite, Npgsql and MySqlConnector say).
            reader = await command.ExecuteReaderAsync(CommandBehavior.KeyInfo, cancellationToken);
        }
        catch (DbException e)
        {
            throw new TableUnreadableException(table, e.Message.Split('\n')[0].Trim());
        }

        await using (reader)
        {
            var schema = await reader.GetColumnSchemaAsync(cancellationToken);
            var columns = Enumerable.Range(0, reader.FieldCount).Select(reader.GetName).ToList();
            var key = schema.Select((c, i) => (c, i)).Where(x => x.c.IsKey == true).Select(x => x.i).ToList();
            var rows = new List<object?[]>();
            while (await reader.ReadAsync(cancellationToken))
            {
                var values = new object?[reader.FieldCount];
                reader.GetValues(values!);
                rows.Add(values.Select(Owned).ToArray());
            }

            return new TableRows(table, columns, key, rows);
        }
    }

    /// <summary>
    /// A value the state can keep: DuckDB.NET reads a BLOB as a stream over memory the reader owns, whose text is its
    /// type's name (every blob would compare equal) and which the next row may reuse; its bytes are copied out.
    /// </summary>
    private static object? Owned(object? value)
    {
        if (value is not Stream stream)
        {
            return value is DBNull ? null : value;
        }

        using (stream)
        {
            using var bytes = new MemoryStream();
            stream.CopyTo(bytes);
            return bytes.ToArray();
        }
    }

    /// <summary>
    /// How this state differs from <paramref name="expected"/>, comparing <paramref name="byPresence"/> columns only by
    /// whether they hold a value; empty when they are the same.
    /// </summary>
    public StateDifference DifferenceFrom(DatabaseState expected, ColumnSet byPresence)
    {
        ArgumentNullException.ThrowIfNull(expected);
        ArgumentNullException.ThrowIfNull(byPresence);
        var tables = new List<TableDifference>();
        foreach (var (mine, theirs) in Tables.Zip(expected.Tables))
        {
            var presence = byPresence.Of(mine);
            var project = (string?[] row) => string.Join('\u001f', row.Select((v, i) => presence.Contains(i) ? (v is null ? "\u2205" : "\u2022") : v is null ? "\u2205" : "=" + v));
            var expectedRows = theirs.Text.GroupBy(project).ToDictionary(g => g.Key, g => g.ToList());
            var extra = new List<string?[]>();
            foreach (var row in mine.Text)
            {
                if (expectedRows.TryGetValue(project(row), out var same) && same.Count > 0)
                {
                    same.RemoveAt(0);
                }
                else
                {
                    extra.Add(row);
                }
            }

            var missing = expectedRows.Values.SelectMany(r => r).ToList();
            if (extra.Count > 0 || missing.Count > 0)
            {
                tables.Add(TableDifference.Of(mine, missing, extra));
            }
        }

        return new StateDifference(tables);
    }

    /// <summary>
    /// The columns whose values differ between this state and <paramref name="other"/> (two clean runs from the same
    /// before-state). Rows are paired by primary key where the key matches; the rest (no key, or a generated key that
    /// differs too) each with the row of the other state it differs from in the fewest columns; the columns that differ
    /// in a pair are learned, and the pairing is done again with them compared by presence, until the states agree.
    /// </summary>
    public ColumnSet ColumnsDifferingFrom(DatabaseState other)
    {
        ArgumentNullException.ThrowIfNull(other);
        var learned = ColumnSet.None;
        for (var round = 0; round <= Tables.Sum(t => t.Columns.Count); round++)
        {
            var difference = other.DifferenceFrom(this, learned);
            var found = new List<(TableName, string)>();
            foreach (var table in difference.Tables)
            {
                var known = learned.Of(Tables.First(t => t.Table == table.Table));
                var pairs = table.Changed.Select(c => (c.Expected, c.Observed)).ToList();
                var extra = table.Extra.ToList();
                foreach (var missing in table.Missing)
                {
                    var nearest = extra.MinBy(row => Differing(missing, row, known).Count());
                    if (nearest is not null)
                    {
                        pairs.Add((missing, nearest));
                        extra.Remove(nearest);
                    }
                }

                found.AddRange(pairs.SelectMany(p => Differing(p.Item1, p.Item2, known)).Distinct().Select(i => (table.Table, table.Columns[i])));
            }

            if (found.Count == 0)
            {
                return learned;
            }

            learned = learned.With(new ColumnSet(found));
        }

        return learned;
    }

    private static IEnumerable<int> Differing(string?[] a, string?[] b, HashSet<int> known) =>
        Enumerable.Range(0, a.Length).Where(i => !known.Contains(i) && a[i] != b[i]);
}

/// <summary>Columns, by table: those learned as nondeterministic, or named <c>--volatile</c>.</summary>
public sealed class ColumnSet(IEnumerable<(TableName Table, string Column)> columns)
{
    public static ColumnSet None { get; } = new([]);

    public IReadOnlyList<(TableName Table, string Column)> Columns { get; } = columns.Distinct().ToList();

    /// <summary>Column names that apply to every table (<c>--volatile processed_at</c>).</summary>
    public static ColumnSet Named(IEnumerable<string> names, IEnumerable<TableName> tables) =>
        new(tables.SelectMany(t => names.Select(n => (t, n))));

    public ColumnSet With(ColumnSet other)
    {
        ArgumentNullException.ThrowIfNull(other);
        return new ColumnSet(Columns.Concat(other.Columns));
    }

    internal HashSet<int> Of(TableRows table) =>
        Columns.Where(c => c.Table == table.Table).Select(c => table.Columns.ToList().FindIndex(n => string.Equals(n, c.Column, StringComparison.OrdinalIgnoreCase)))
            .Where(i => i >= 0).ToHashSet();

    public override string ToString() => Columns.Count == 0 ? "none" : string.Join(", ", Columns.Select(c => $"{c.Table}.{c.Column}"));
}

/// <summary>How a state differs from the one expected: per table, the rows missing, extra and changed.</summary>
public sealed record StateDifference(IReadOnlyList<TableDifference> Tables)
{
    public bool IsNone => Tables.Count == 0;

    /// <summary>One line per table, with a few rows shown.</summary>
    public IEnumerable<string> Describe(int rowsShown = 3) => Tables.SelectMany(t => t.Describe(rowsShown));

    public override string ToString() => string.Join("; ", Describe(2));
}

/// <summary>One table's difference: rows only in the expected state, only in the observed one, and those whose key matches but values differ.</summary>
public sealed record TableDifference(TableName Table, IReadOnlyList<string> Columns, IReadOnlyList<string?[]> Missing, IReadOnlyList<string?[]> Extra, IReadOnlyList<(string?[] Expected, string?[] Observed)> Changed)
{
    internal static TableDifference Of(TableRows table, List<string?[]> missing, List<string?[]> extra)
    {
        var changed = new List<(string?[], string?[])>();
        if (table.Key.Count > 0)
        {
            string Key(string?[] row) => string.Join('\u001f', table.Key.Select(i => row[i] ?? "\u2205"));
            foreach (var observed in extra.ToList())
            {
                if (missing.FirstOrDefault(m => Key(m) == Key(observed)) is { } expected)
                {
                    changed.Add((expected, observed));
                    missing.Remove(expected);
                    extra.Remove(observed);
                }
            }
        }

        return new TableDifference(table.Table, table.Columns, missing, extra, changed);
    }

    public IEnumerable<string> Describe(int rowsShown)
    {
        yield return $"{Table}: {Missing.Count} row(s) missing, {Extra.Count} extra, {Changed.Count} changed";
        foreach (var row in Missing.Take(rowsShown))
        {
            yield return $"  missing {Row(row)}";
        }

        foreach (var row in Extra.Take(rowsShown))
        {
            yield return $"  extra   {Row(row)}";
        }

        foreach (var (expected, observed) in Changed.Take(rowsShown))
        {
            var columns = Enumerable.Range(0, Columns.Count).Where(i => expected[i] != observed[i]);
            yield return $"  changed {Row(expected)}: " + string.Join(", ", columns.Select(i => $"{Columns[i]} {Value(expected[i])} → {Value(observed[i])}"));
        }
    }

    private string Row(string?[] row) => "(" + string.Join(", ", row.Select((v, i) => $"{Columns[i]}={Value(v)}")) + ")";

    private static string Value(string? value) => value is null ? "NULL" : value.Length > 40 ? value[..37] + "…" : value;
}

/// <summary>A checked table could not be read (it does not exist, or the user may not read it).</summary>
public sealed class TableUnreadableException(TableName table, string reason) : Exception($"cannot read table '{table}': {reason}")
{
    public TableName Table { get; } = table;
}
