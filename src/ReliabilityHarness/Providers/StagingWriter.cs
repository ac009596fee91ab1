using System.Data.Common;
using ReliabilityHarness.Payments;

namespace ReliabilityHarness.Providers;

/// <summary>
/// Streams a run's rows into its staging table (<see cref="StagingSql"/>) inside the run's transaction, the fastest
/// way the engine takes them; or, on a first load into an empty table, straight into the payments table. Rows may be held in a bounded buffer until <see cref="CompleteAsync"/>; disposing
/// without completing abandons the rows (the transaction is rolled back anyway).
/// </summary>
public abstract class StagingWriter : IAsyncDisposable
{
    public abstract ValueTask WriteAsync(long line, Payment payment, CancellationToken cancellationToken);

    /// <summary>Sends whatever is buffered; every row written is in the staging table afterwards.</summary>
    public abstract ValueTask CompleteAsync(CancellationToken cancellationToken);

    public virtual ValueTask DisposeAsync()
    {
        GC.SuppressFinalize(this);
        return ValueTask.CompletedTask;
    }
}

/// <summary>
/// A writer that sends rows in statements of <c>rowsPerStatement</c> rows: it holds one statement's rows, sends
/// them when the statement is full, and the rest, fewer, on <see cref="StagingWriter.CompleteAsync"/>.
/// </summary>
public abstract class BufferedStagingWriter : StagingWriter
{
    private readonly (long Line, Payment Payment)[] pending;
    private int buffered;

    protected BufferedStagingWriter(int rowsPerStatement)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(rowsPerStatement, 1);
        pending = new (long, Payment)[rowsPerStatement];
    }

    /// <summary>How many rows a full statement carries.</summary>
    protected int RowsPerStatement => pending.Length;

    public override ValueTask WriteAsync(long line, Payment payment, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(payment);
        pending[buffered++] = (line, payment);
        return buffered == pending.Length ? FlushAsync(cancellationToken) : ValueTask.CompletedTask;
    }

    public override ValueTask CompleteAsync(CancellationToken cancellationToken) =>
        buffered > 0 ? FlushAsync(cancellationToken) : ValueTask.CompletedTask;

    /// <summary>Sends <paramref name="rows"/> in one statement; a full statement has <see cref="RowsPerStatement"/> of them.</summary>
    protected abstract ValueTask SendAsync(ReadOnlyMemory<(long Line, Payment Payment)> rows, CancellationToken cancellationToken);

    private async ValueTask FlushAsync(CancellationToken cancellationToken)
    {
        await SendAsync(pending.AsMemory(0, buffered), cancellationToken);
        buffered = 0;
    }
}

/// <summary>
/// The portable writer: multi-row parameterised INSERTs, one command reused for every full statement (the drivers
/// keep its statement prepared or its plan cached), so each round trip carries many rows. Into the staging table
/// (<see cref="StagingSql.InsertRows"/>), or, given the run's <c>processedAt</c>, into the payments table
/// (<see cref="StagingSql.LoadRows"/>).
/// </summary>
public sealed class BatchedInsertStagingWriter : BufferedStagingWriter
{
    private readonly Dialect dialect;
    private readonly DbConnection connection;
    private readonly DbTransaction transaction;
    private readonly object? processedAt;
    private readonly DbCommand full;

    public BatchedInsertStagingWriter(Dialect dialect, DbConnection connection, DbTransaction transaction, int rowsPerStatement, DateTimeOffset? processedAt = null)
        : base(rowsPerStatement)
    {
        ArgumentNullException.ThrowIfNull(dialect);
        (this.dialect, this.connection, this.transaction) = (dialect, connection, transaction);
        this.processedAt = processedAt is { } at ? dialect.TimestampParameter(at) : null;
        full = Command(rowsPerStatement);
    }

    private bool Load => processedAt is not null;

    public override async ValueTask DisposeAsync()
    {
        await full.DisposeAsync();
        await base.DisposeAsync();
    }

    protected override async ValueTask SendAsync(ReadOnlyMemory<(long Line, Payment Payment)> rows, CancellationToken cancellationToken)
    {
        var command = rows.Length == RowsPerStatement ? full : Command(rows.Length);
        try
        {
            var at = 0;
            foreach (var (line, payment) in rows.Span)
            {
                if (!Load)
                {
                    command.Parameters[at++].Value = line;
                }

                command.Parameters[at++].Value = payment.PaymentId;
                command.Parameters[at++].Value = payment.UserId;
                command.Parameters[at++].Value = dialect.AmountParameter(payment.Amount);
                command.Parameters[at++].Value = payment.Currency;
                command.Parameters[at++].Value = payment.Status;
                if (Load)
                {
                    command.Parameters[at++].Value = processedAt;
                }
            }

            await command.ExecuteNonQueryAsync(cancellationToken);
        }
        finally
        {
            if (command != full)
            {
                await command.DisposeAsync();
            }
        }
    }

    private DbCommand Command(int rows)
    {
        var command = connection.CreateCommand();
        command.CommandText = Load ? dialect.Staging.LoadRows(rows) : dialect.Staging.InsertRows(rows);
        command.Transaction = transaction;
        for (var row = 0; row < rows; row++)
        {
            foreach (var name in StagingSql.RowParameters(row, Load))
            {
                var parameter = command.CreateParameter();
                if (name.StartsWith(StagingSql.AmountPrefix, StringComparison.Ordinal) || name.StartsWith(StagingSql.ProcessedAtPrefix, StringComparison.Ordinal))
                {
                    // The amount and the timestamp get the engine types the payments statements give them (e.g.
                    // decimal(19,4), datetime2).
                    parameter.ParameterName = name.StartsWith(StagingSql.AmountPrefix, StringComparison.Ordinal) ? PaymentsSql.Amount : PaymentsSql.ProcessedAt;
                    dialect.PrepareParameter(parameter);
                }

                parameter.ParameterName = name;
                command.Parameters.Add(parameter);
            }
        }

        return command;
    }
}
