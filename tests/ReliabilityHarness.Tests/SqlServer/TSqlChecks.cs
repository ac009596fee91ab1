using Microsoft.SqlServer.TransactSql.ScriptDom;

namespace ReliabilityHarness.Tests.SqlServer;

/// <summary>
/// What Microsoft's own T-SQL parser (ScriptDom, the one SQL Server's tooling uses) says about a statement,
/// for checks that need no engine. Parsed as SQL Server 2022 (the pinned image's version).
/// </summary>
internal static class TSqlChecks
{
    public static IReadOnlyList<string> ParseErrors(string sql)
    {
        new TSql160Parser(initialQuotedIdentifiers: true).Parse(new StringReader(sql), out var errors);
        return errors.Select(e => $"line {e.Line}, column {e.Column}: {e.Message}").ToList();
    }

    /// <summary>True when the statement has at least one MERGE and every MERGE target holds its key range (HOLDLOCK or SERIALIZABLE).</summary>
    public static bool EveryMergeTargetHoldsItsLocks(string sql)
    {
        var merges = Collect<MergeSpecification>(sql);
        return merges.Count > 0 && merges.All(m => m.Target is NamedTableReference target
            && target.TableHints.Any(h => h.HintKind is TableHintKind.HoldLock or TableHintKind.Serializable));
    }

    public static bool HasMerge(string sql) => Collect<MergeSpecification>(sql).Count > 0;

    /// <summary>True when the statement switches XACT_ABORT on.</summary>
    public static bool SetsXactAbortOn(string sql) =>
        Collect<PredicateSetStatement>(sql).Any(s => s.Options.HasFlag(SetOptions.XactAbort) && s.IsOn);

    /// <summary>Every literal value in the statement (a value that is not a parameter).</summary>
    public static IReadOnlyList<string> Literals(string sql) =>
        Collect<Literal>(sql).Select(l => $"{l.LiteralType} {l.Value}").ToList();

    /// <summary>The parameters (variables) the statement reads.</summary>
    public static IReadOnlySet<string> Parameters(string sql) =>
        Collect<VariableReference>(sql).Select(v => v.Name).ToHashSet(StringComparer.OrdinalIgnoreCase);

    private static List<T> Collect<T>(string sql)
        where T : TSqlFragment
    {
        var tree = new TSql160Parser(initialQuotedIdentifiers: true).Parse(new StringReader(sql), out var errors);
        if (errors.Count > 0)
        {
            throw new InvalidOperationException($"does not parse: {errors[0].Message}");
        }

        var collector = new Collector<T>();
        tree.Accept(collector);
        return collector.Found;
    }

    private sealed class Collector<T> : TSqlFragmentVisitor
        where T : TSqlFragment
    {
        public List<T> Found { get; } = [];

        public override void Visit(TSqlFragment fragment)
        {
            if (fragment is T match)
            {
                Found.Add(match);
            }
        }
    }
}
