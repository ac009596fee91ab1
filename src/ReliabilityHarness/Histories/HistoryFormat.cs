using System.Globalization;
using System.Text;

namespace ReliabilityHarness.Histories;

/// <summary>
/// Elle's list-append history format (https://github.com/jepsen-io/elle), both ways: one EDN operation map per line,
/// <c>{:type :invoke, :f :txn, :value [[:append 5 1] [:r 5 nil]], :process 0, :index 0}</c>. Reads are nil in an
/// invocation; an empty list may be <c>[]</c> or <c>nil</c>; <c>:f</c>, <c>:time</c> and <c>:index</c> may be absent;
/// other keys are ignored. Maps whose <c>:f</c> is not <c>:txn</c> (a nemesis's, say) are not transactions and are skipped.
/// </summary>
public static class HistoryFormat
{
    /// <summary>The operations of a history file.</summary>
    public static IReadOnlyList<Operation> ReadFile(string path) => Parse(File.ReadAllText(path), Path.GetFileName(path));

    /// <summary>The operations of <paramref name="text"/>; <paramref name="file"/> names it in messages.</summary>
    /// <exception cref="HistoryFormatException">The text is not a list-append history: says where and what was expected.</exception>
    public static IReadOnlyList<Operation> Parse(string text, string file = "history.edn")
    {
        ArgumentNullException.ThrowIfNull(text);
        var reader = new EdnReader(text, file);
        var operations = new List<Operation>();
        while (reader.Next() is { } node)
        {
            if (ToOperation(reader, node) is { } operation)
            {
                operations.Add(operation);
            }
        }

        return operations;
    }

    /// <summary>Writes <paramref name="operations"/> one map per line, as <see cref="Parse"/> reads them.</summary>
    public static void Write(TextWriter writer, IEnumerable<Operation> operations)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(operations);
        foreach (var operation in operations)
        {
            writer.Write(Format(operation));
            writer.Write('\n');
        }
    }

    /// <summary>The whole history as text, one map per line.</summary>
    public static string Format(IEnumerable<Operation> operations)
    {
        using var writer = new StringWriter(CultureInfo.InvariantCulture);
        Write(writer, operations);
        return writer.ToString();
    }

    /// <summary>One operation as its map: <c>{:type :ok, :f :txn, :value [[:append 5 1] [:r 5 [1]]], :process 0, :index 1}</c>.</summary>
    public static string Format(Operation operation)
    {
        ArgumentNullException.ThrowIfNull(operation);
        var map = new StringBuilder();
        map.Append("{:type :").Append(operation.Type.ToString().ToLowerInvariant());
        if (operation.Function is not null)
        {
            map.Append(", :f :").Append(operation.Function);
        }

        map.Append(", :value [").AppendJoin(' ', operation.Value).Append(']');
        if (operation.Process is { } process)
        {
            map.Append(CultureInfo.InvariantCulture, $", :process {process}");
        }
        if (operation.Time is { } time)
        {
            map.Append(CultureInfo.InvariantCulture, $", :time {time}");
        }

        if (operation.Index is { } index)
        {
            map.Append(CultureInfo.InvariantCulture, $", :index {index}");
        }

        return map.Append('}').ToString();
    }

    private static Operation? ToOperation(EdnReader reader, EdnNode node)
    {
        if (node.Value is not IReadOnlyList<KeyValuePair<EdnKeyword, EdnNode>> entries)
        {
            throw reader.Error(node.Line, node.Column, $"expected an operation map '{{', got {node.Shown}");
        }

        var map = new Dictionary<string, EdnNode>(StringComparer.Ordinal);
        foreach (var entry in entries)
        {
            map[entry.Key.Name] = entry.Value;
        }

        var function = map.TryGetValue("f", out var f)
            ? f.Value is EdnKeyword fk ? fk.Name : throw reader.Error(f.Line, f.Column, $"expected :f to be a keyword (:txn), got {f.Shown}")
            : null;
        if (function is not (null or "txn"))
        {
            return null;
        }

        var type = Required(reader, node, map, "type").Value switch
        {
            EdnKeyword { Name: "invoke" } => OperationType.Invoke,
            EdnKeyword { Name: "ok" } => OperationType.Ok,
            EdnKeyword { Name: "fail" } => OperationType.Fail,
            EdnKeyword { Name: "info" } => OperationType.Info,
            _ => throw reader.Error(map["type"].Line, map["type"].Column, $"expected :type to be :invoke, :ok, :fail or :info, got {map["type"].Shown}"),
        };
        var process = map.TryGetValue("process", out var p) ? Integer(reader, p, ":process") : (long?)null;
        var index = map.TryGetValue("index", out var i) ? Integer(reader, i, ":index") : (long?)null;
        var time = map.TryGetValue("time", out var t) ? Integer(reader, t, ":time") : (long?)null;
        var value = Required(reader, node, map, "value");
        var micro = value.Value switch
        {
            null => [],
            IReadOnlyList<EdnNode> items => items.Select(m => MicroOperation(reader, m)).ToList(),
            _ => throw reader.Error(value.Line, value.Column, $"expected :value to be a vector of micro-operations, got {value.Shown}"),
        };
        return new Operation(type, function, micro, process, index, time, node.Line);
    }

    private static MicroOp MicroOperation(EdnReader reader, EdnNode node)
    {
        if (node.Value is not IReadOnlyList<EdnNode> { Count: 3 } parts)
        {
            throw reader.Error(node.Line, node.Column, $"expected a micro-operation [:append k v] or [:r k list], got {node.Shown}");
        }

        var key = parts[1].Value switch
        {
            long n => HistoryKey.Of(n),
            string s => new HistoryKey(Quoted(s)),
            EdnKeyword k => new HistoryKey(k.ToString()),
            _ => throw reader.Error(parts[1].Line, parts[1].Column, $"expected a key (an integer, a string or a keyword), got {parts[1].Shown}"),
        };
        return parts[0].Value switch
        {
            EdnKeyword { Name: "append" } => new Append(key, Integer(reader, parts[2], "an appended value")),
            EdnKeyword { Name: "r" } => new Read(key, parts[2].Value switch
            {
                null => null,
                IReadOnlyList<EdnNode> values => values.Select(v => Integer(reader, v, "a list element")).ToList(),
                _ => throw reader.Error(parts[2].Line, parts[2].Column, $"expected a read's list (a vector or nil), got {parts[2].Shown}"),
            }),
            _ => throw reader.Error(parts[0].Line, parts[0].Column, $"expected :append or :r, got {parts[0].Shown}"),
        };
    }

    /// <summary>A string as EDN writes it: quoted, with the escapes the reader knows (so a key never breaks its line).</summary>
    private static string Quoted(string text) => "\"" + text
        .Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal)
        .Replace("\n", "\\n", StringComparison.Ordinal).Replace("\r", "\\r", StringComparison.Ordinal).Replace("\t", "\\t", StringComparison.Ordinal) + "\"";

    private static EdnNode Required(EdnReader reader, EdnNode map, Dictionary<string, EdnNode> entries, string key) =>
        entries.TryGetValue(key, out var value) ? value : throw reader.Error(map.Line, map.Column, $"expected the operation map to have :{key}");

    private static long Integer(EdnReader reader, EdnNode node, string what) =>
        node.Value is long n ? n : throw reader.Error(node.Line, node.Column, $"expected {what} to be an integer, got {node.Shown}");
}
