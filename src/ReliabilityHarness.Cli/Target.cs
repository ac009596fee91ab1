using ReliabilityHarness.Engines;
using ReliabilityHarness.Providers;
using ReliabilityHarness.Scenarios.Faults;

namespace ReliabilityHarness.Cli;

/// <summary>The engine is missing or unreachable: exit code 3, a one-line reason, nothing touched.</summary>
internal sealed class EngineUnavailableException(string message) : Exception(message);

/// <summary>
/// The database a command works in. With <c>--connection</c>, exactly that database (the user's choice);
/// otherwise an embedded engine's default file (<c>payments.db</c>), the provider's <c>HARNESS_&lt;ENGINE&gt;</c>, or a Testcontainers
/// engine that lives as long as the command.
/// </summary>
internal sealed class Target(Provider provider, string connectionString, string description, IAsyncDisposable? owned) : IAsyncDisposable
{
    public Provider Provider { get; } = provider;

    public string ConnectionString { get; } = connectionString;

    /// <summary>Where, for people: never contains a password.</summary>
    public string Description { get; } = description;

    public static Task<Target> ResolveAsync(Arguments arguments, Func<string, string?> environment, TextWriter output, CancellationToken cancellationToken) =>
        ResolveAsync(ProviderNamed(arguments.Get("provider") ?? "sqlite"), Connection(arguments, environment), environment, output, cancellationToken);

    /// <summary>The database the command was given: <c>--connection</c>, else <see cref="ChildCommand.ConnectionVariable"/> (how the harness hands a child its database, secrets kept off the command line).</summary>
    public static string? Connection(Arguments arguments, Func<string, string?> environment) =>
        arguments.Get("connection") ?? (environment(ChildCommand.ConnectionVariable) is { Length: > 0 } given ? given : null);

    public static Provider ProviderNamed(string name)
    {
        try
        {
            return ProviderCatalog.Find(name)
                ?? throw new UsageException($"unknown provider '{name}'; known: {string.Join(", ", ProviderCatalog.All.Select(p => p.Name))} (each as name[@version], e.g. postgresql@16)");
        }
        catch (Exception e) when (e is FormatException or NotSupportedException)
        {
            throw new UsageException(e.Message);
        }
    }

    /// <summary>The providers of a comma-separated <c>--providers</c> list, each once, in the order given.</summary>
    public static IReadOnlyList<Provider> ProvidersNamed(string list)
    {
        var providers = list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(ProviderNamed).DistinctBy(p => p.Name).ToList();
        return providers.Count > 0 ? providers : throw new UsageException("--providers names no provider");
    }

    /// <summary>
    /// The database <paramref name="connection"/> names; without it, the engine <see cref="EngineAcquisition"/> finds
    /// (an embedded engine's default file, <c>HARNESS_&lt;ENGINE&gt;</c>, Testcontainers), checked to answer.
    /// </summary>
    public static async Task<Target> ResolveAsync(Provider provider, string? connection, Func<string, string?> environment, TextWriter output, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(provider);
        Target target;
        if (connection is { } given)
        {
            target = new Target(provider, given, ConnectionStrings.Redact(given), null);
        }
        else
        {
            var availability = await EngineAcquisition.AcquireAsync(provider, environment, verify: false, cancellationToken);
            if (availability.Server is not { } server)
            {
                throw new EngineUnavailableException(availability.UnavailableReason!);
            }

            if (server.StartedHere)
            {
                await output.WriteLineAsync($"Started {provider.Engine.Container?.Image} with Testcontainers; it is removed when this command ends.");
                target = new Target(provider, server.ConnectionString, $"{server.Origin} (removed when the command ends)", server);
            }
            else
            {
                var redacted = ConnectionStrings.Redact(server.ConnectionString);
                target = new Target(provider, server.ConnectionString, provider.IsEmbedded ? redacted : $"{redacted} (from {server.Origin})", null);
            }
        }

        return await CheckedAsync(target, cancellationToken);
    }

    private static async Task<Target> CheckedAsync(Target target, CancellationToken cancellationToken)
    {
        if (await EngineAcquisition.TryConnectAsync(target.Provider, target.ConnectionString, cancellationToken) is { } problem)
        {
            await target.DisposeAsync();
            throw new EngineUnavailableException($"cannot connect to {target.Provider.Name} at {target.Description}: {problem}");
        }

        return target;
    }

    public async ValueTask DisposeAsync()
    {
        if (owned is not null)
        {
            await owned.DisposeAsync();
        }
    }
}
