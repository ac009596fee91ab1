namespace ReliabilityHarness.Pipelines;

/// <summary>What a <see cref="FaultInjectingConnection"/> does at the statement it faults at.</summary>
public enum FaultMode
{
    /// <summary>
    /// The statement is not sent and fails, as one the engine refused would; the connection and its transaction stay
    /// usable. (A real error would also abort a PostgreSQL transaction; this one is never sent, so nothing is aborted.)
    /// </summary>
    Fail,

    /// <summary>
    /// The session is lost just before the statement is sent: the real connection is closed, which rolls back its open
    /// transaction on every engine, and the wrapper is broken until it is closed or opened again.
    /// </summary>
    Sever,
}

/// <summary>
/// The statement counter that <see cref="FaultInjectingConnection"/>s share: it numbers every statement a pipeline
/// executes, from 1, across all the connections it wraps, and faults once, at <see cref="FaultAt"/>. A statement is
/// each execution of a command (non-query, scalar or reader; sync or async) and each transaction commit, recorded as
/// <c>COMMIT</c>, the point where a crash matters most. Beginning a transaction, a savepoint and a rollback are not
/// statements: a rollback is never faulted. An exhaustive trial counts a run with no fault (N statements), then reruns
/// it with a fault at each k from 1 to N. Safe to use from several threads.
/// </summary>
public sealed class StatementFaults
{
    /// <summary>How much of each statement's text is kept in <see cref="StatementTexts"/>.</summary>
    public const int TextLength = 200;

    private readonly Lock gate = new();
    private readonly List<string> texts = [];
    private string? faultedStatement;

    /// <param name="faultAt">The 1-based number of the statement to fault at; null counts without faulting.</param>
    /// <param name="mode">What happens at that statement.</param>
    public StatementFaults(int? faultAt = null, FaultMode mode = FaultMode.Fail)
    {
        if (faultAt is < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(faultAt), faultAt, "statements are numbered from 1");
        }

        FaultAt = faultAt;
        Mode = mode;
    }

    /// <summary>The 1-based number of the statement to fault at; null when the run is only counted.</summary>
    public int? FaultAt { get; }

    public FaultMode Mode { get; }

    /// <summary>Statements counted so far, the faulted one included.</summary>
    public int Statements
    {
        get
        {
            lock (gate)
            {
                return texts.Count;
            }
        }
    }

    /// <summary>The text of the statement faulted at (as in <see cref="StatementTexts"/>); null until then.</summary>
    public string? FaultedStatement
    {
        get
        {
            lock (gate)
            {
                return faultedStatement;
            }
        }
    }

    /// <summary>Each statement's text so far, in order, cut to <see cref="TextLength"/> characters.</summary>
    public IReadOnlyList<string> StatementTexts
    {
        get
        {
            lock (gate)
            {
                return [.. texts];
            }
        }
    }

    /// <summary>Counts a statement about to be sent and returns its number; it is to be faulted when that is <see cref="FaultAt"/>.</summary>
    internal int Count(string? text, out string recorded)
    {
        recorded = text is { Length: > TextLength } ? string.Concat(text.AsSpan(0, TextLength), "…") : text ?? string.Empty;
        lock (gate)
        {
            texts.Add(recorded);
            if (texts.Count == FaultAt)
            {
                faultedStatement = recorded;
            }

            return texts.Count;
        }
    }
}
