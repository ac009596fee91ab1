using System.Data.Common;

namespace ReliabilityHarness.Pipelines;

/// <summary>
/// The failure a <see cref="FaultInjectingConnection"/> injects. A <see cref="DbException"/>, so that a pipeline's
/// <c>catch (DbException)</c> handles it as it would a real one; a severed session is transient
/// (<see cref="DbException.IsTransient"/>), as a lost connection is, and reports SQLSTATE 08006, the SQL standard's
/// connection failure.
/// </summary>
public sealed class InjectedFaultException : DbException
{
    private InjectedFaultException(string message, int statement, string statementText, FaultMode mode)
        : base(message)
    {
        Statement = statement;
        StatementText = statementText;
        Mode = mode;
    }

    /// <summary>The number of the statement faulted at (for a broken connection's refusal: the one it was severed at).</summary>
    public int Statement { get; }

    /// <summary>That statement's text, cut as in <see cref="StatementFaults.StatementTexts"/>.</summary>
    public string StatementText { get; }

    public FaultMode Mode { get; }

    public override bool IsTransient => Mode == FaultMode.Sever;

    public override string? SqlState => Mode == FaultMode.Sever ? "08006" : null;

    internal static InjectedFaultException At(int statement, string statementText, FaultMode mode) =>
        new(mode == FaultMode.Fail
                ? $"injected fault: statement {statement} failed before it was sent: {statementText}"
                : $"injected fault: the connection was severed at statement {statement}, before it was sent: {statementText}",
            statement, statementText, mode);

    /// <summary>What a connection severed at <paramref name="statement"/> answers to any later statement.</summary>
    internal static InjectedFaultException Broken(int statement, string statementText) =>
        new($"injected fault: the connection was severed at statement {statement} ({statementText}); it is broken until it is closed or opened again",
            statement, statementText, FaultMode.Sever);
}
