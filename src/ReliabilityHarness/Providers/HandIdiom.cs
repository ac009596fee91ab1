using System.Diagnostics;

namespace ReliabilityHarness.Providers;

/// <summary>
/// What an engineer would type instead of using the harness, for <c>reliability bench</c>: the engine's own bulk
/// command loading the CSV into a staging table, then one upsert with the robust strategy's semantics (insert new
/// ids, update the status of same-payload rows, leave the rest). It checks nothing and counts nothing; it is the
/// speed to beat. Also the floor: the bulk command alone into an empty keyed table. Scripts are SQL (and the
/// client's own commands) with the CSV's path in them; <see cref="RunAsync"/> sends one.
/// </summary>
public abstract class HandIdiom
{
    /// <summary>The bulk command, for labels: <c>\copy</c>, <c>.import</c>, <c>COPY</c>.</summary>
    public abstract string BulkCommand { get; }

    /// <summary>How many times the bulk command alone the harness's first load may take, where the project sets a target.</summary>
    public virtual double? FloorTarget => null;

    /// <summary>Why the idiom cannot run here (its client is not installed), or null when it can.</summary>
    public virtual string? Unavailable => null;

    /// <summary>Staging table, bulk load, upsert into the payments table, in one transaction.</summary>
    public abstract string StagedUpsert(string csv);

    /// <summary>Creates (empty) the floor's table <c>bench_floor</c>: the payments columns without processed_at, keyed on payment_id.</summary>
    public abstract string FloorSetup();

    /// <summary>The bulk command alone into the floor's table.</summary>
    public abstract string FloorLoad(string csv);

    /// <summary>Drops the floor's table.</summary>
    public virtual string FloorTeardown() => "DROP TABLE bench_floor;";

    /// <summary>Runs <paramref name="script"/> on the database <paramref name="connectionString"/> reaches; throws with the engine's or client's message if it fails.</summary>
    public abstract Task RunAsync(string script, string connectionString, string workDirectory, CancellationToken cancellationToken);

    /// <summary>A file path as an SQL string literal.</summary>
    protected static string Literal(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        return "'" + path.Replace("'", "''", StringComparison.Ordinal) + "'";
    }
}

/// <summary>A hand idiom run by the engine's own client program (psql, sqlite3), its script in a file.</summary>
public abstract class ClientHandIdiom : HandIdiom
{
    /// <summary>The client program, e.g. <c>psql</c>.</summary>
    public abstract string Tool { get; }

    public override string? Unavailable => Installed() ? null : $"{Tool} is not on the PATH";

    /// <summary>How to start the client on <paramref name="scriptFile"/>: the connection in its environment, never on its command line.</summary>
    protected abstract ProcessStartInfo Start(string scriptFile, string connectionString);

    public override async Task RunAsync(string script, string connectionString, string workDirectory, CancellationToken cancellationToken)
    {
        var file = Path.Combine(workDirectory, $"idiom-{Guid.NewGuid():N}.sql");
        await File.WriteAllTextAsync(file, script, cancellationToken);
        try
        {
            var start = Start(file, connectionString);
            start.RedirectStandardOutput = true;
            start.RedirectStandardError = true;
            using var process = Process.Start(start) ?? throw new InvalidOperationException($"cannot start {Tool}");
            var output = process.StandardOutput.ReadToEndAsync(cancellationToken);
            var errors = await process.StandardError.ReadToEndAsync(cancellationToken);
            await process.WaitForExitAsync(cancellationToken);
            await output;
            if (process.ExitCode != 0)
            {
                throw new InvalidOperationException($"{Tool} failed (exit {process.ExitCode}): {errors.Trim()}");
            }
        }
        finally
        {
            File.Delete(file);
        }
    }

    private bool Installed() => ProgramPath.Find(Tool) is not null;
}

/// <summary>A hand idiom sent as plain SQL through the engine's driver, statement by statement (an engine with no client program here).</summary>
public abstract class DriverHandIdiom(Dialect dialect) : HandIdiom
{
    /// <summary>The statements of <paramref name="script"/>, in order.</summary>
    protected virtual IEnumerable<string> Split(string script)
    {
        ArgumentNullException.ThrowIfNull(script);
        return script.Split(";\n", StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(statement => statement.TrimEnd(';'))
            .Where(statement => statement.Length > 0);
    }

    public override async Task RunAsync(string script, string connectionString, string workDirectory, CancellationToken cancellationToken)
    {
        await using var connection = await dialect.OpenAsync(connectionString, cancellationToken);
        foreach (var statement in Split(script))
        {
            await using var command = connection.CreateCommand();
            command.CommandText = statement;
            await command.ExecuteNonQueryAsync(cancellationToken);
        }
    }
}
