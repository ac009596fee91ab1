using System.Data.Common;
using System.Globalization;
using ReliabilityHarness.Payments;
using ReliabilityHarness.Providers;

namespace ReliabilityHarness.Ingest;

/// <summary>A row of the payments table as stored, with <see cref="Raw"/>: every column as the driver returned it, for byte-for-byte comparison.</summary>
public sealed record StoredPayment(Payment Payment, DateTimeOffset ProcessedAt, string Raw);

/// <summary>The payments table on any provider: create, reset, read; and the parameter binding every strategy shares.</summary>
public static class PaymentsTable
{
    /// <summary>Drops and recreates the table: <c>reliability setup</c>.</summary>
    public static async Task ResetAsync(Provider provider, string connectionString, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(provider);
        await using var connection = await provider.Dialect.OpenAsync(connectionString, cancellationToken);
        await ExecuteAsync(connection, provider.Dialect.Sql.DropTable, cancellationToken);
        await ExecuteAsync(connection, provider.Dialect.Sql.CreateTable, cancellationToken);
    }

    /// <summary>
    /// Creates the table when it does not exist yet, so a first ingest needs no separate setup. Several ingests
    /// starting at once may race to create it (PostgreSQL then fails one with a duplicate catalog entry); once the
    /// winner has committed, the same IF NOT EXISTS succeeds, so a failed attempt is tried again, a few times.
    /// </summary>
    public static async Task EnsureAsync(Provider provider, DbConnection connection, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(provider);
        await TransientRetry.ExecuteAsync(async token =>
        {
            await ExecuteAsync(connection, provider.Dialect.Sql.CreateTable, token);
            return true;
        }, maxAttempts: 3, TimeProvider.System, outcome => outcome.Exception is DbException, onRetry: null, cancellationToken);
    }

    /// <summary>Every row, ordered by payment_id (ordinal, the same on every engine).</summary>
    public static async Task<IReadOnlyList<StoredPayment>> ReadAllAsync(Provider provider, string connectionString, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(provider);
        await using var connection = await provider.Dialect.OpenAsync(connectionString, cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = provider.Dialect.Sql.SelectAll;
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var rows = new List<StoredPayment>();
        while (await reader.ReadAsync(cancellationToken))
        {
            var payment = new Payment(reader.GetString(0), reader.GetString(1), provider.Dialect.ReadAmount(reader, 2), reader.GetString(3), reader.GetString(4));
            var raw = string.Join('|', Enumerable.Range(0, reader.FieldCount).Select(i => Format(reader.GetValue(i))));
            rows.Add(new StoredPayment(payment, provider.Dialect.ReadTimestamp(reader, 5), raw));
        }

        rows.Sort((a, b) => string.CompareOrdinal(a.Payment.PaymentId, b.Payment.PaymentId));
        return rows;
    }

    /// <summary>The engine's id of the session, when a checkpoint may want to sever it and the provider can tell it.</summary>
    internal static async Task<object?> SessionIdAsync(Provider provider, DbConnection connection, IngestOptions options, CancellationToken cancellationToken)
    {
        if (options.Checkpoint is null || provider.Dialect.SessionIdSql is null)
        {
            return null;
        }

        await using var command = connection.CreateCommand();
        command.CommandText = provider.Dialect.SessionIdSql;
        return await command.ExecuteScalarAsync(cancellationToken);
    }

    internal static DbCommand Command(Provider provider, DbConnection connection, DbTransaction? transaction, string sql, params string[] parameters)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Transaction = transaction;
        foreach (var name in parameters)
        {
            var parameter = command.CreateParameter();
            parameter.ParameterName = name;
            provider.Dialect.PrepareParameter(parameter);
            command.Parameters.Add(parameter);
        }

        return command;
    }

    internal static DbCommand WriteCommand(Provider provider, DbConnection connection, DbTransaction? transaction, string sql) =>
        Command(provider, connection, transaction, sql, PaymentsSql.PaymentId, PaymentsSql.UserId, PaymentsSql.Amount, PaymentsSql.Currency, PaymentsSql.Status, PaymentsSql.ProcessedAt);

    // By position, in WriteCommand's order: a driver may keep a parameter's name in its own spelling (DuckDB drops
    // the '@'), so a look-up by the harness's name is not portable.
    internal static void Bind(Provider provider, DbCommand command, Payment payment, DateTimeOffset processedAt)
    {
        command.Parameters[0].Value = payment.PaymentId;
        command.Parameters[1].Value = payment.UserId;
        command.Parameters[2].Value = provider.Dialect.AmountParameter(payment.Amount);
        command.Parameters[3].Value = payment.Currency;
        command.Parameters[4].Value = payment.Status;
        command.Parameters[5].Value = provider.Dialect.TimestampParameter(processedAt);
    }

    /// <summary>The stored payment with the id, or null; <paramref name="select"/> is a command on <see cref="PaymentsSql.SelectById"/>.</summary>
    internal static async Task<Payment?> FindAsync(Provider provider, DbCommand select, string paymentId, CancellationToken cancellationToken)
    {
        select.Parameters[0].Value = paymentId; // its one parameter
        await using var reader = await select.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken)
            ? new Payment(paymentId, reader.GetString(0), provider.Dialect.ReadAmount(reader, 1), reader.GetString(2), reader.GetString(3))
            : null;
    }

    private static async Task ExecuteAsync(DbConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static string Format(object value) => value switch
    {
        DBNull => "NULL",
        DateTime time => time.ToString("O", CultureInfo.InvariantCulture),
        DateTimeOffset time => time.ToString("O", CultureInfo.InvariantCulture),
        IFormattable formattable => formattable.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? string.Empty,
    };
}
