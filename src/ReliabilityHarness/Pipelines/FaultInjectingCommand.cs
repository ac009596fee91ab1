using System.Data;
using System.Data.Common;
using System.Diagnostics.CodeAnalysis;

namespace ReliabilityHarness.Pipelines;

/// <summary>
/// A command of a <see cref="FaultInjectingConnection"/>: the real connection's command, each execution counted
/// before it is sent. Its parameters are the real command's (<see cref="DbCommand.CreateParameter"/> makes the
/// driver's own), its transaction is unwrapped to the real one, and its readers are the real command's.
/// </summary>
public sealed class FaultInjectingCommand : DbCommand
{
    private readonly DbCommand inner;
    private FaultInjectingConnection? connection;
    private DbTransaction? transaction;
    private string text = string.Empty;
    private int disposed;

    internal FaultInjectingCommand(FaultInjectingConnection connection, DbCommand inner)
    {
        this.connection = connection;
        this.inner = inner;
    }

    /// <summary>
    /// The text as the pipeline set it, which the statement is counted under; the real command gets it too, and may
    /// keep it rewritten (this harness's DuckDB connection writes <c>@name</c> as <c>$name</c>). Dapper reads the text
    /// back to set it again for each item of a list, so a rewritten text read back would be counted as another statement's.
    /// </summary>
    [AllowNull]
    [SuppressMessage("Security", "CA2100", Justification = "Passes the pipeline's own text to the real command; values are its parameters.")]
    public override string CommandText
    {
        get => text;
        set
        {
            inner.CommandText = value;
            text = value ?? string.Empty;
        }
    }

    public override int CommandTimeout
    {
        get => inner.CommandTimeout;
        set => inner.CommandTimeout = value;
    }

    public override CommandType CommandType
    {
        get => inner.CommandType;
        set => inner.CommandType = value;
    }

    public override bool DesignTimeVisible
    {
        get => inner.DesignTimeVisible;
        set => inner.DesignTimeVisible = value;
    }

    public override UpdateRowSource UpdatedRowSource
    {
        get => inner.UpdatedRowSource;
        set => inner.UpdatedRowSource = value;
    }

    /// <summary>
    /// The wrapper the command counts on. Only a <see cref="FaultInjectingConnection"/> (or null) is taken: a command
    /// moved onto a connection that is not wrapped would send statements nobody counts.
    /// </summary>
    protected override DbConnection? DbConnection
    {
        get => connection;
        set
        {
            connection = value switch
            {
                null => null,
                FaultInjectingConnection wrapper => wrapper,
                _ => throw new ArgumentException($"a {nameof(FaultInjectingCommand)} runs on a {nameof(FaultInjectingConnection)}, not a {value.GetType().Name}", nameof(value)),
            };
            inner.Connection = connection?.Inner;
        }
    }

    protected override DbParameterCollection DbParameterCollection => inner.Parameters;

    /// <summary>The transaction as the pipeline set it; the real command gets the real transaction inside a wrapper one.</summary>
    protected override DbTransaction? DbTransaction
    {
        get => transaction;
        set
        {
            transaction = value;
            inner.Transaction = value is FaultInjectingTransaction wrapper ? wrapper.Inner : value;
        }
    }

    public override void Cancel() => inner.Cancel();

    public override void Prepare() => inner.Prepare();

    public override Task PrepareAsync(CancellationToken cancellationToken = default) => inner.PrepareAsync(cancellationToken);

    protected override DbParameter CreateDbParameter() => inner.CreateParameter();

    public override int ExecuteNonQuery()
    {
        Wrapper().Enter(text);
        return inner.ExecuteNonQuery();
    }

    public override async Task<int> ExecuteNonQueryAsync(CancellationToken cancellationToken)
    {
        await Wrapper().EnterAsync(text);
        return await inner.ExecuteNonQueryAsync(cancellationToken);
    }

    public override object? ExecuteScalar()
    {
        Wrapper().Enter(text);
        return inner.ExecuteScalar();
    }

    public override async Task<object?> ExecuteScalarAsync(CancellationToken cancellationToken)
    {
        await Wrapper().EnterAsync(text);
        return await inner.ExecuteScalarAsync(cancellationToken);
    }

    protected override DbDataReader ExecuteDbDataReader(CommandBehavior behavior)
    {
        Wrapper().Enter(text);
        return inner.ExecuteReader(behavior);
    }

    protected override async Task<DbDataReader> ExecuteDbDataReaderAsync(CommandBehavior behavior, CancellationToken cancellationToken)
    {
        await Wrapper().EnterAsync(text);
        return await inner.ExecuteReaderAsync(behavior, cancellationToken);
    }

    private FaultInjectingConnection Wrapper() =>
        connection ?? throw new InvalidOperationException("the command has no connection to execute on");

    protected override void Dispose(bool disposing)
    {
        if (disposing && Interlocked.Exchange(ref disposed, 1) == 0)
        {
            inner.Dispose();
        }

        base.Dispose(disposing);
    }

    public override async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref disposed, 1) == 0)
        {
            await inner.DisposeAsync();
        }

        await base.DisposeAsync();
    }
}
