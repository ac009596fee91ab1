using ReliabilityHarness.Providers;

namespace ReliabilityHarness.Pipelines;

/// <summary>
/// How every trial starts from the same before-state: the user's <c>--setup</c> command, or what the harness saw
/// before the first trial, put back (the database file copied back on an embedded engine; the tables' rows deleted
/// and inserted again, as parameters, on a server).
/// </summary>
public abstract class BeforeState : IDisposable
{
    /// <summary>For the report: how the before-state is brought back.</summary>
    public abstract string Description { get; }

    /// <summary>Brings the database back to the before-state.</summary>
    public abstract Task RestoreAsync(CancellationToken cancellationToken);

    public void Dispose()
    {
        Dispose(disposing: true);
        GC.SuppressFinalize(this);
    }

    protected virtual void Dispose(bool disposing)
    {
    }

    /// <summary>The user's setup command, run before every trial; it failing is a usage error with its output.</summary>
    public static BeforeState Setup(Func<CancellationToken, Task> run, string command) => new SetupCommand(run, command);

    /// <summary>The embedded database file <paramref name="path"/> (and its journal, WAL) as it is now, copied back before each trial.</summary>
    public static async Task<BeforeState> FileCopyAsync(Dialect dialect, string path, CancellationToken cancellationToken)
    {
        var copy = new FileCopy(dialect, path);
        await copy.TakeAsync(cancellationToken);
        return copy;
    }

    /// <summary>The rows of <paramref name="tables"/> as they are now, written back before each trial.</summary>
    public static async Task<BeforeState> RowsAsync(Dialect dialect, string connectionString, IReadOnlyList<TableName> tables, CancellationToken cancellationToken) =>
        new Rows(dialect, connectionString, await DatabaseState.CaptureAsync(dialect, connectionString, tables, cancellationToken));

    private sealed class SetupCommand(Func<CancellationToken, Task> run, string command) : BeforeState
    {
        public override string Description => $"--setup {command}, before every trial";

        public override Task RestoreAsync(CancellationToken cancellationToken) => run(cancellationToken);
    }

    /// <summary>The database file and the files an engine keeps beside it (SQLite's -journal, -wal, -shm; DuckDB's .wal).</summary>
    private sealed class FileCopy(Dialect dialect, string path) : BeforeState
    {
        // Besides what the engine writes there, SQLite's WAL index (-shm), which it maps into memory.
        private static readonly string[] Companions = [.. PipelineEnvironment.WrittenBeside, "-shm"];
        private readonly string folder = Directory.CreateTempSubdirectory("reliability-before-").FullName;

        public override string Description => "the database file as it was before the first trial, copied back before each";

        public Task TakeAsync(CancellationToken cancellationToken)
        {
            dialect.ClearPools();
            foreach (var (from, to) in Files())
            {
                if (File.Exists(from))
                {
                    File.Copy(from, to, overwrite: true);
                }
            }

            return Task.CompletedTask;
        }

        public override Task RestoreAsync(CancellationToken cancellationToken)
        {
            // Pooled connections hold the file open (and SQLite's a cache of its pages): forget them before the swap.
            dialect.ClearPools();
            foreach (var (live, saved) in Files())
            {
                if (File.Exists(saved))
                {
                    File.Copy(saved, live, overwrite: true);
                }
                else
                {
                    File.Delete(live);
                }
            }

            return Task.CompletedTask;
        }

        protected override void Dispose(bool disposing)
        {
            Directory.Delete(folder, recursive: true);
            base.Dispose(disposing);
        }

        private IEnumerable<(string Live, string Saved)> Files() =>
            Companions.Select(suffix => path + suffix).Prepend(path).Select(live => (live, Path.Combine(folder, Path.GetFileName(live))));
    }

    /// <summary>Deletes every row of the tables (last table first) and inserts the saved ones (first table first), in one transaction.</summary>
    private sealed class Rows(Dialect dialect, string connectionString, DatabaseState saved) : BeforeState
    {
        public override string Description => $"the tables' {saved.RowCount} row(s) as they were before the first trial, written back before each";

        public override async Task RestoreAsync(CancellationToken cancellationToken)
        {
            await using var connection = await dialect.OpenAsync(connectionString, cancellationToken);
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
            foreach (var table in saved.Tables.Reverse())
            {
                await using var delete = DbCommands.Create(connection, transaction, $"DELETE FROM {table.Table.Quoted(dialect)}");
                await delete.ExecuteNonQueryAsync(cancellationToken);
            }

            foreach (var table in saved.Tables)
            {
                var columns = string.Join(", ", table.Columns.Select(dialect.Quote));
                var values = string.Join(", ", table.Columns.Select((_, i) => $"@p{i}"));
                foreach (var row in table.Values)
                {
                    await using var insert = DbCommands.Create(connection, transaction, $"INSERT INTO {table.Table.Quoted(dialect)} ({columns}) VALUES ({values})",
                        row.Select((value, i) => ($"@p{i}", value ?? DBNull.Value)).ToArray());
                    await insert.ExecuteNonQueryAsync(cancellationToken);
                }
            }

            await transaction.CommitAsync(cancellationToken);
        }
    }
}

/// <summary>The user's setup command failed: bad use (exit 2), reported with its output.</summary>
public sealed class SetupFailedException(string message) : Exception(message);
