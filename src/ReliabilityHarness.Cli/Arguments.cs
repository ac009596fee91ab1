using System.CommandLine;

namespace ReliabilityHarness.Cli;

/// <summary>A usage mistake: exit code 2, a one-line message and the usage text, nothing touched.</summary>
internal sealed class UsageException(string message) : Exception(message);

/// <summary>
/// The command line, on System.CommandLine: each command, its options and their descriptions (so
/// <c>reliability &lt;command&gt; --help</c> documents it), unknown options and commands refused with a suggestion of
/// what was meant. A command's options reach its code as <see cref="Arguments"/>: the values given, by name.
/// </summary>
internal sealed class Arguments
{
    private readonly ParseResult result;

    private Arguments(string command, ParseResult result) => (Command, this.result) = (command, result);

    public string Command { get; }

    public string? Get(string name) =>
        result.CommandResult.Command.Options.FirstOrDefault(o => o.Name == "--" + name) is Option<string> option && result.GetResult(option) is not null
            ? result.GetValue(option)
            : null;

    public string Required(string name) => Get(name) ?? throw new UsageException($"'{Command}' needs --{name}");

    /// <summary>The value of --<paramref name="name"/>, one of <paramref name="choices"/> (the first when it is not given).</summary>
    public string OneOf(string name, IReadOnlyList<string> choices)
    {
        ArgumentNullException.ThrowIfNull(choices);
        var given = Get(name) ?? choices[0];
        return choices.Contains(given) ? given : throw new UsageException($"unknown {name} '{given}'; expected {string.Join(", ", choices)}");
    }

    /// <summary>The value of the command's positional argument <paramref name="name"/> (e.g. <c>histories check</c>'s file).</summary>
    public string? Argument(string name) =>
        result.CommandResult.Command.Arguments.FirstOrDefault(a => a.Name == name) is Argument<string> argument ? result.GetValue(argument) : null;

    /// <summary>The commands, each with <paramref name="run"/> as its action (given the command's arguments).</summary>
    public static RootCommand Define(Func<Arguments, CancellationToken, Task<int>> run)
    {
        ArgumentNullException.ThrowIfNull(run);
        var root = new RootCommand("A reliability harness for data pipelines: atomic on a crash, idempotent on a rerun, honest about each engine.");
        foreach (var command in Commands())
        {
            // A command with subcommands (histories) acts through them: "histories check".
            foreach (var sub in command.Subcommands)
            {
                sub.SetAction((result, cancellationToken) => run(new Arguments($"{command.Name} {sub.Name}", result), cancellationToken));
            }

            if (command.Subcommands.Count == 0)
            {
                command.SetAction((result, cancellationToken) => run(new Arguments(command.Name, result), cancellationToken));
            }

            root.Subcommands.Add(command);
        }

        return root;
    }

    private static IEnumerable<Command> Commands()
    {
        yield return Engine(new Command("demo", "The walkthrough the harness is built on, step by step, showing what each step leaves (embedded SQLite unless told otherwise)."));
        yield return Engine(new Command("setup", "Create the payments table, or drop and recreate it empty."));
        yield return Engine(new Command("ingest", "Load a CSV of payments into the payments table (creating it if needed) and say what was inserted, updated and unchanged.")
        {
            Option("--input", "The CSV to load (header row; payment_id, user_id, amount, currency, optional status). A pipe is read into a temporary file first."),
            Option("--strategy", "robust (default): one transaction, the dialect's upsert, transient failures retried; unreliable: autocommit, a plain INSERT per row; check-then-insert: autocommit, SELECT then INSERT. The last two are negative controls."),
            Option("--crash-after", "Throw once N rows have been handled, as a crash would (0: before the first write)."),
        });
        yield return new Command("matrix", "Run every scenario on every engine it can get, each in a database of its own, and hold each observation to the engine's documented expectations.")
        {
            Option("--providers", "Comma-separated engine specs, name[@version][+variant] (default: every provider)."),
            Option("--format", "table (default), markdown or json."),
            Option("--output", "Write the report to this file instead of standard output."),
            Option("--against", "A recorded matrix (the JSON --format json writes, e.g. docs/dialect-matrix.json) to compare the run with, on standard error: an observation that changed, a check or an engine one side lacks is drift (exit 1); an engine that did not run here is not compared, timing figures and skipped checks never are."),
            Option("--from", "Instead of running engines: the matrices recorded in these JSON files (comma-separated; --format json output, each engine in one file only), merged into one report, and compared with --against if given."),
        };
        yield return Check();
        yield return new Command("histories", "Random concurrent histories and the anomaly checker (Elle's list-append model).")
        {
            Subcommands =
            {
                new Command("run", "Run Elle's list-append workload on each engine at each isolation level asked that it offers (others: not applicable), each in a database of its own: K clients, N random transactions of appends and reads over M keys, every transaction recorded as invoked then ok, failed or unknown; each history checked. A row per engine and level: ok/fail/info, the anomalies found, the models the history is valid for. Exit 0 (an observation), 2 bad use, 3 an engine unavailable.")
                {
                    Option("--providers", "Comma-separated engines (default: sqlite)."),
                    Option("--levels", "Comma-separated: read-committed, repeatable-read, serializable, snapshot (default: all four)."),
                    Option("--clients", "Clients at once, each on its own connection (default 8)."),
                    Option("--txns", "Transactions per engine and level, over all clients (default 2,000)."),
                    Option("--keys", "Keys, each a list (default 16; fewer: more contention)."),
                    Option("--seed", "Seeds what the clients ask for (default 0); the interleaving is the engine's."),
                    Option("--faults", "none (default); sever: end a client's session from another connection every N/10 to N/5 transactions (servers); kill: run the clients in a child process, SIGKILLed twice and started again (every engine; an embedded engine dies with it); crash: crash the server once and start it again (HARNESS_<ENGINE>_CRASH and _START). What a fault leaves unknown is recorded :info."),
                    Option("--format", "table (default), markdown or json."),
                    Option("--output", "Write the report to this file instead of standard output."),
                    Option("--history-dir", "Write each history to DIR/<engine>-<level>.edn (Elle's format), for histories check or Elle."),
                },
                new Command("check", "Check a list-append history in Elle's EDN format, from the history alone: the anomalies it shows (G0, G1a, G1b, G1c, G-single, G2-item, incompatible orders, duplicated and garbage reads), each with a minimal cycle, and whether it is valid for a consistency model. Exit 0 valid, 1 anomalies the model forbids, 2 malformed.")
                {
                    new Argument<string>("file") { Description = "The history: one operation map per line ({:type :invoke|:ok|:fail|:info, :f :txn, :value [[:append k v] [:r k [v …]]], :process p, :index i})." },
                    Option("--model", "read-committed, snapshot-isolation, repeatable-read or serializable (default)."),
                    Option("--format", "table (default), markdown or json."),
                },
                HistoryClient(),
            },
        };
        yield return new Command("bench", "Ingest speed and memory against the engine's own bulk idiom (psql \\copy, sqlite3 .import, DuckDB COPY): first load, rerun, a tenth as many rows.")
        {
            Option("--providers", "Comma-separated engines (default: sqlite,postgresql)."),
            Option("--rows", "How many payments to generate (default 1,000,000; at least 10)."),
            Option("--check", "Instead: how long reliability check takes: a .NET delegate of N statements under every crash point on each engine (target: N=100 on SQLite under 60 s), then the Python lesson's pipelines (from a checkout)."),
        };
    }

    /// <summary>
    /// <c>histories client</c>: the clients of a <c>--faults kill</c> run, in the child process the harness kills. Not
    /// for people: it writes the operations, one EDN map per line, to standard output, on the table the parent created.
    /// </summary>
    private static Command HistoryClient() => new("client", "The clients of a --faults kill run, in the process that is killed (started by histories run; the database is in RELIABILITY_CONNECTION).")
    {
        Hidden = true,
        Options =
        {
            Option("--provider", "The engine."),
            Option("--level", "The isolation level."),
            Option("--clients", "Clients at once."),
            Option("--txns", "Transactions to run."),
            Option("--keys", "Keys."),
            Option("--seed", "Seed."),
            Option("--values-after", "The largest value appended so far."),
            Option("--first-process", "The first process id to use."),
        },
    };

    private static Command Check() => Engine(new Command("check", "Put your own pipeline (any program, given after --) under the harness: a crash at every write or statement, a rerun, copies at once. Exit 0 when every property asked holds, 1 when one does not or could not be decided.")
    {
        Option("--table", "The tables the pipeline writes, comma-separated (name or schema.name): compared row by row, every column."),
        Option("--setup", "A shell command that brings the database to the before-state, run before every trial (same environment as the pipeline). Without it the harness saves the tables (an embedded engine: the database file) before the first trial and puts them back."),
        Option("--volatile", "Columns the rerun may change (e.g. a last_seen_at), comma-separated; every other column must stay as it was."),
        Option("--kills", "SIGKILLs at random moments of the clean run's duration, beside the enumerated crash points (default 0)."),
        Option("--concurrency", "Copies started together for concurrent-exactly-once (default 2; 0 or 1: not asked)."),
        Option("--timeout", $"Seconds one run of the pipeline (or setup) may take before it is killed and reported (default {CheckCommand.DefaultTimeoutSeconds})."),
        Option("--format", "table (default), markdown or json."),
        Option("--output", "Write the report to this file instead of standard output."),
    });

    private static Command Engine(Command command)
    {
        command.Options.Add(Option("--provider", "sqlite (default), duckdb, postgresql, mariadb or sqlserver."));
        command.Options.Add(Option("--connection", "The database to work in, exactly that one. Without it: RELIABILITY_CONNECTION; else the embedded engine's file in the current directory (payments.db, payments.duckdb), or a server's HARNESS_<ENGINE>, then a Testcontainers engine that lives as long as the command."));
        return command;
    }

    private static Option<string> Option(string name, string description) => new(name) { Description = description };
}
