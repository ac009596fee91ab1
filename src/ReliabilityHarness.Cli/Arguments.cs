namespace ReliabilityHarness.Cli;

/// <summary>A usage mistake: exit code 2, a one-line message and the usage text, nothing touched.</summary>
internal sealed class UsageException(string message) : Exception(message);

/// <summary>
/// The command line: a command, then <c>--name value</c> or <c>--name=value</c> options. Every option a command
/// does not know is an error, never ignored.
/// </summary>
internal sealed class Arguments
{
    private readonly Dictionary<string, string> options = new(StringComparer.Ordinal);

    private Arguments(string command) => Command = command;

    public string Command { get; }

    public static Arguments Parse(IReadOnlyList<string> args, IReadOnlyDictionary<string, IReadOnlySet<string>> commands)
    {
        if (args.Count == 0)
        {
            throw new UsageException("no command given");
        }

        var command = args[0];
        if (!commands.TryGetValue(command, out var allowed))
        {
            throw new UsageException($"unknown command '{command}'");
        }

        var parsed = new Arguments(command);
        for (var i = 1; i < args.Count; i++)
        {
            var arg = args[i];
            if (!arg.StartsWith("--", StringComparison.Ordinal))
            {
                throw new UsageException($"unexpected argument '{arg}'");
            }

            var (name, value) = arg.IndexOf('=', StringComparison.Ordinal) is var eq and > 0
                ? (arg[2..eq], arg[(eq + 1)..])
                : (arg[2..], i + 1 < args.Count ? args[++i] : throw new UsageException($"--{arg[2..]} needs a value"));
            if (!allowed.Contains(name))
            {
                throw new UsageException($"'{command}' has no option --{name}");
            }

            if (!parsed.options.TryAdd(name, value))
            {
                throw new UsageException($"--{name} given twice");
            }
        }

        return parsed;
    }

    public string? Get(string name) => options.GetValueOrDefault(name);

    public string Required(string name) => Get(name) ?? throw new UsageException($"'{Command}' needs --{name}");
}
