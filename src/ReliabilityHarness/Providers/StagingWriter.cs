using System.Data.Common;
using ReliabilityHarness.Payments;

namespace ReliabilityHarness.Providers;

/// <summary>
/// Streams a run's rows into its staging table (<see cref="StagingSql"/>) inside the run's transaction, the fastest
/// way the engine takes them. Rows may be held in a bounded buffer until <see cref="CompleteAsync"/>; disposing
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
/// The portable writer: multi-row parameterised INSERTs of <c>rowsPerStatement</c> rows, one prepared command
/// reused for every full batch (the drivers keep its statement prepared or its plan cached), so each round trip
/// carries many rows.
/// </summary>
public sealed class BatchedInsertStagingWriter : StagingWriter
{
    private readonly Provider provider;
    private readonly DbConnection connection;
    private readonly DbTransaction transaction;
    private readonly int rowsPerStatement;
    private readonly DbCommand full;
    private readonly object[] values;
    private int buffered;

    public BatchedInsertStagingWriter(Provider provider, DbConnection connection, DbTransaction transaction, int rowsPerStatement)
    {
        ArgumentNullException.ThrowIfNull(provider);
        ArgumentOutOfRangeException.ThrowIfLessThan(rowsPerStatement, 1);
        (this.provider, this.connection, this.transaction, this.rowsPerStatement) = (provider, connection, transaction, rowsPerStatement);
        values = new object[rowsPerStatement * StagingSql.Columns.Count];
        full = Command(rowsPerStatement);
    }

    public override async ValueTask WriteAsync(long line, Payment payment, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(payment);
        var at = buffered * StagingSql.Columns.Count;
        values[at] = line;
        values[at + 1] = payment.PaymentId;
        values[at + 2] = payment.UserId;
        values[at + 3] = provider.AmountParameter(payment.Amount);
        values[at + 4] = payment.Currency;
        values[at + 5] = payment.Status;
        if (++buffered == rowsPerStatement)
        {
            await FlushAsync(full, cancellationToken);
        }
    }

    public override async ValueTask CompleteAsync(CancellationToken cancellationToken)
    {
        if (buffered > 0)
        {
            await using var rest = Command(buffered);
            await FlushAsync(rest, cancellationToken);
        }
    }

    public override async ValueTask DisposeAsync()
    {
        await full.DisposeAsync();
        await base.DisposeAsync();
    }

    private async ValueTask FlushAsync(DbCommand command, CancellationToken cancellationToken)
    {
        for (var i = 0; i < buffered * StagingSql.Columns.Count; i++)
        {
            command.Parameters[i].Value = values[i];
        }

        await command.ExecuteNonQueryAsync(cancellationToken);
        buffered = 0;
    }

    private DbCommand Command(int rows)
    {
        var command = connection.CreateCommand();
        command.CommandText = provider.Staging.InsertRows(rows);
        command.Transaction = transaction;
        for (var row = 0; row < rows; row++)
        {
            foreach (var prefix in new[] { "@l", "@p", "@u", "@a", "@c", "@s" })
            {
                var parameter = command.CreateParameter();
                parameter.ParameterName = prefix + row.ToString(System.Globalization.CultureInfo.InvariantCulture);
                if (prefix == "@a")
                {
                    // The amount gets the engine type the payments statements give it (e.g. decimal(19,4)).
                    parameter.ParameterName = PaymentsSql.Amount;
                    provider.PrepareParameter(parameter);
                    parameter.ParameterName = prefix + row.ToString(System.Globalization.CultureInfo.InvariantCulture);
                }

                command.Parameters.Add(parameter);
            }
        }

        return command;
    }
}
