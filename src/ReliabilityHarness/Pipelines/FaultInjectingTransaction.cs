using System.Data;
using System.Data.Common;

namespace ReliabilityHarness.Pipelines;

/// <summary>
/// A transaction of a <see cref="FaultInjectingConnection"/>: the real one, its commit counted as the statement
/// <c>COMMIT</c>. A rollback is never faulted; after the session was severed it does nothing, since closing the real
/// connection already rolled the transaction back (and drivers differ on what their rollback of a closed connection
/// does: some throw), so the pipeline meets the injected fault, not that difference.
/// </summary>
public sealed class FaultInjectingTransaction : DbTransaction
{
    private readonly FaultInjectingConnection connection;
    private readonly int severances;
    private int disposed;

    internal FaultInjectingTransaction(FaultInjectingConnection connection, DbTransaction inner)
    {
        this.connection = connection;
        Inner = inner;
        severances = connection.Severances;
    }

    internal DbTransaction Inner { get; }

    public override IsolationLevel IsolationLevel => Inner.IsolationLevel;

    protected override DbConnection DbConnection => connection;

    public override bool SupportsSavepoints => Inner.SupportsSavepoints;

    /// <summary>Whether the session the transaction was begun on has been severed since: the engine rolled it back.</summary>
    private bool Severed => connection.Severances != severances;

    public override void Commit()
    {
        connection.Enter("COMMIT");
        Inner.Commit();
    }

    public override async Task CommitAsync(CancellationToken cancellationToken = default)
    {
        await connection.EnterAsync("COMMIT");
        await Inner.CommitAsync(cancellationToken);
    }

    public override void Rollback()
    {
        if (!Severed)
        {
            Inner.Rollback();
        }
    }

    public override Task RollbackAsync(CancellationToken cancellationToken = default) =>
        Severed ? Task.CompletedTask : Inner.RollbackAsync(cancellationToken);

    public override void Save(string savepointName) => Inner.Save(savepointName);

    public override Task SaveAsync(string savepointName, CancellationToken cancellationToken = default) => Inner.SaveAsync(savepointName, cancellationToken);

    public override void Rollback(string savepointName) => Inner.Rollback(savepointName);

    public override Task RollbackAsync(string savepointName, CancellationToken cancellationToken = default) =>
        Inner.RollbackAsync(savepointName, cancellationToken);

    public override void Release(string savepointName) => Inner.Release(savepointName);

    public override Task ReleaseAsync(string savepointName, CancellationToken cancellationToken = default) =>
        Inner.ReleaseAsync(savepointName, cancellationToken);

    protected override void Dispose(bool disposing)
    {
        if (disposing && Interlocked.Exchange(ref disposed, 1) == 0)
        {
            Inner.Dispose();
        }

        base.Dispose(disposing);
    }

    public override async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref disposed, 1) == 0)
        {
            await Inner.DisposeAsync();
        }

        await base.DisposeAsync();
    }
}
