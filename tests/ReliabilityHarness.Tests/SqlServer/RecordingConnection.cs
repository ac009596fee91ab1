using System.Data;
using System.Data.Common;
using System.Diagnostics.CodeAnalysis;

namespace ReliabilityHarness.Tests.SqlServer;

/// <summary>
/// A connection that records what a provider sends instead of sending it: for checking, without an engine,
/// the order in which a provider's code path issues its statements. Not a stand-in for an engine's behaviour.
/// </summary>
[SuppressMessage("Security", "CA2100", Justification = "Records statements; executes nothing.")]
internal sealed class RecordingConnection : DbConnection
{
    private ConnectionState state = ConnectionState.Open;

    public List<string> Log { get; } = [];

    [AllowNull]
    public override string ConnectionString { get; set; } = string.Empty;

    public override string Database => "recording";

    public override string DataSource => "recording";

    public override string ServerVersion => "0";

    public override ConnectionState State => state;

    public override void ChangeDatabase(string databaseName) => throw new NotSupportedException();

    public override void Close() => state = ConnectionState.Closed;

    public override void Open() => state = ConnectionState.Open;

    protected override DbTransaction BeginDbTransaction(IsolationLevel isolationLevel)
    {
        Log.Add($"BEGIN TRANSACTION ({isolationLevel})");
        return new RecordingTransaction(this, isolationLevel);
    }

    protected override DbCommand CreateDbCommand() => new RecordingCommand(this);

    private sealed class RecordingTransaction(RecordingConnection connection, IsolationLevel isolationLevel) : DbTransaction
    {
        public override IsolationLevel IsolationLevel => isolationLevel;

        protected override DbConnection DbConnection => connection;

        public override void Commit() => connection.Log.Add("COMMIT");

        public override void Rollback() => connection.Log.Add("ROLLBACK");
    }

    private sealed class RecordingCommand(RecordingConnection connection) : DbCommand
    {
        [AllowNull]
        public override string CommandText { get; set; } = string.Empty;

        public override int CommandTimeout { get; set; }

        public override CommandType CommandType { get; set; }

        public override bool DesignTimeVisible { get; set; }

        public override UpdateRowSource UpdatedRowSource { get; set; }

        protected override DbConnection? DbConnection { get; set; } = connection;

        protected override DbParameterCollection DbParameterCollection => throw new NotSupportedException();

        protected override DbTransaction? DbTransaction { get; set; }

        public override void Cancel()
        {
        }

        public override int ExecuteNonQuery()
        {
            connection.Log.Add(CommandText);
            return 0;
        }

        public override object? ExecuteScalar() => throw new NotSupportedException();

        public override void Prepare()
        {
        }

        protected override DbParameter CreateDbParameter() => throw new NotSupportedException();

        protected override DbDataReader ExecuteDbDataReader(CommandBehavior behavior) => throw new NotSupportedException();
    }
}
