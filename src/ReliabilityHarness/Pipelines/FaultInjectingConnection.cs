using System.Data;
using System.Data.Common;
using System.Diagnostics.CodeAnalysis;

namespace ReliabilityHarness.Pipelines;

/// <summary>
/// A connection that puts a pipeline written against ADO.NET (raw <see cref="DbCommand"/>s, Dapper) under crash-point
/// trials in-process, on any engine: it passes everything to the real connection it wraps and owns, and counts each
/// statement in <see cref="Faults"/>, failing or severing at the one numbered <see cref="StatementFaults.FaultAt"/>.
/// Commands come from <see cref="DbConnection.CreateCommand"/> (as Dapper's do) and transactions from
/// <see cref="DbConnection.BeginTransaction()"/>; a pipeline that casts the connection to its driver's type (a bulk
/// copy) cannot run on it. <see cref="DbConnection.CanCreateBatch"/> stays false, so a pipeline that asks falls back to
/// commands, each of them counted.
/// </summary>
public sealed class FaultInjectingConnection : DbConnection
{
    private readonly DbConnection inner;
    private (int Statement, string Text)? severedAt;
    private int severances;
    private int disposed;

    public FaultInjectingConnection(DbConnection inner, StatementFaults faults)
    {
        ArgumentNullException.ThrowIfNull(inner);
        ArgumentNullException.ThrowIfNull(faults);
        this.inner = inner;
        Faults = faults;
        inner.StateChange += ForwardStateChange;
    }

    /// <summary>Wraps <paramref name="inner"/> (open or not); disposing the wrapper disposes it.</summary>
    public static FaultInjectingConnection Wrap(DbConnection inner, StatementFaults faults) => new(inner, faults);

    public StatementFaults Faults { get; }

    internal DbConnection Inner => inner;

    /// <summary>How many times this connection was severed: a transaction begun before the last one was rolled back by it.</summary>
    internal int Severances => Volatile.Read(ref severances);

    [AllowNull]
    public override string ConnectionString
    {
        get => inner.ConnectionString;
        set => inner.ConnectionString = value;
    }

    public override int ConnectionTimeout => inner.ConnectionTimeout;

    public override string Database => inner.Database;

    public override string DataSource => inner.DataSource;

    public override string ServerVersion => inner.ServerVersion;

    /// <summary>The real connection's state, or Broken once severed (until closed or opened again), as ADO.NET defines Broken.</summary>
    public override ConnectionState State => severedAt is null ? inner.State : ConnectionState.Broken;

    public override void ChangeDatabase(string databaseName) => inner.ChangeDatabase(databaseName);

    public override Task ChangeDatabaseAsync(string databaseName, CancellationToken cancellationToken = default) =>
        inner.ChangeDatabaseAsync(databaseName, cancellationToken);

    public override void Open()
    {
        severedAt = null;
        inner.Open();
    }

    public override Task OpenAsync(CancellationToken cancellationToken)
    {
        severedAt = null;
        return inner.OpenAsync(cancellationToken);
    }

    // A broken connection may be closed (and opened again), as ADO.NET defines Broken; the real one is closed already,
    // and not every driver's Close takes a closed connection (DuckDB.NET throws "Connection is already closed").
    public override void Close()
    {
        if (!ClosedBySever())
        {
            inner.Close();
        }
    }

    public override Task CloseAsync() => ClosedBySever() ? Task.CompletedTask : inner.CloseAsync();

    public override DataTable GetSchema() => inner.GetSchema();

    public override DataTable GetSchema(string collectionName) => inner.GetSchema(collectionName);

    public override DataTable GetSchema(string collectionName, string?[] restrictionValues) => inner.GetSchema(collectionName, restrictionValues);

    public override Task<DataTable> GetSchemaAsync(CancellationToken cancellationToken = default) => inner.GetSchemaAsync(cancellationToken);

    public override Task<DataTable> GetSchemaAsync(string collectionName, CancellationToken cancellationToken = default) =>
        inner.GetSchemaAsync(collectionName, cancellationToken);

    public override Task<DataTable> GetSchemaAsync(string collectionName, string?[] restrictionValues, CancellationToken cancellationToken = default) =>
        inner.GetSchemaAsync(collectionName, restrictionValues, cancellationToken);

    protected override DbCommand CreateDbCommand() => new FaultInjectingCommand(this, inner.CreateCommand());

    protected override DbTransaction BeginDbTransaction(IsolationLevel isolationLevel)
    {
        ThrowIfSevered();
        return new FaultInjectingTransaction(this, inner.BeginTransaction(isolationLevel));
    }

    protected override async ValueTask<DbTransaction> BeginDbTransactionAsync(IsolationLevel isolationLevel, CancellationToken cancellationToken)
    {
        ThrowIfSevered();
        return new FaultInjectingTransaction(this, await inner.BeginTransactionAsync(isolationLevel, cancellationToken));
    }

    /// <summary>Counts a statement about to be sent; at the one to fault at, severs if so asked, then throws.</summary>
    /// <remarks>
    /// Severing closes the real connection, and every driver here rolls back the open transaction as its connection
    /// closes, pooled or not, releasing its locks as when a server ends a session: SqlClient documents it
    /// (learn.microsoft.com/dotnet/api/microsoft.data.sqlclient.sqlconnection.close); for Npgsql, MySqlConnector,
    /// Microsoft.Data.Sqlite and DuckDB.NET, FaultInjectingConnectionTests shows another writer getting the severed
    /// transaction's row at once. A pooled server session itself lives on, reset, for the next Open.
    /// </remarks>
    internal void Enter(string? text)
    {
        if (Count(text) is { } fault)
        {
            if (fault.Mode == FaultMode.Sever)
            {
                inner.Close();
            }

            throw fault;
        }
    }

    /// <inheritdoc cref="Enter"/>
    internal async Task EnterAsync(string? text)
    {
        if (Count(text) is { } fault)
        {
            if (fault.Mode == FaultMode.Sever)
            {
                await inner.CloseAsync();
            }

            throw fault;
        }
    }

    /// <summary>A broken connection refuses every statement, uncounted: none reaches the engine.</summary>
    internal void ThrowIfSevered()
    {
        if (severedAt is { } severed)
        {
            throw InjectedFaultException.Broken(severed.Statement, severed.Text);
        }
    }

    private InjectedFaultException? Count(string? text)
    {
        ThrowIfSevered();
        var statement = Faults.Count(text, out var recorded);
        if (statement != Faults.FaultAt)
        {
            return null;
        }

        if (Faults.Mode == FaultMode.Sever)
        {
            // Broken before the real connection is closed: nothing else may go through it meanwhile.
            severedAt = (statement, recorded);
            Interlocked.Increment(ref severances);
        }

        return InjectedFaultException.At(statement, recorded, Faults.Mode);
    }

    /// <summary>Whether the real connection is closed because it was severed; the wrapper is no longer broken either way.</summary>
    private bool ClosedBySever()
    {
        var closed = severedAt is not null && inner.State == ConnectionState.Closed;
        severedAt = null;
        return closed;
    }

    private void ForwardStateChange(object sender, StateChangeEventArgs e) => OnStateChange(e);

    protected override void Dispose(bool disposing)
    {
        if (disposing && Interlocked.Exchange(ref disposed, 1) == 0)
        {
            inner.StateChange -= ForwardStateChange;
            inner.Dispose();
        }

        base.Dispose(disposing);
    }

    public override async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref disposed, 1) == 0)
        {
            inner.StateChange -= ForwardStateChange;
            await inner.DisposeAsync();
        }

        // Component's own disposal (its Disposed event); the real connection is already disposed.
        await base.DisposeAsync();
    }
}
