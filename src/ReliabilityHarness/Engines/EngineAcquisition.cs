using DotNet.Testcontainers.Builders;
using ReliabilityHarness.Providers;

namespace ReliabilityHarness.Engines;

/// <summary>
/// Finds an engine for a provider, in the order DESIGN.md fixes: embedded; else the connection string in
/// <c>HARNESS_&lt;ENGINE&gt;</c>; else Testcontainers when a Docker engine answers; else unavailable, with the
/// reason and the ways to provide one.
/// </summary>
public static class EngineAcquisition
{
    /// <summary>How long connecting to an engine named by environment may take before it counts as unavailable.</summary>
    public static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(15);

    /// <param name="verify">Whether an engine named by <c>HARNESS_&lt;ENGINE&gt;</c> must answer before it is returned (the CLI checks it itself, to say where it tried).</param>
    public static async Task<EngineAvailability> AcquireAsync(Provider provider, Func<string, string?> environment, bool verify = true, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(provider);
        ArgumentNullException.ThrowIfNull(environment);
        if (provider.Engine is EmbeddedEngine embedded)
        {
            return new(new EngineServer(provider, embedded.DefaultConnectionString, "embedded"), null);
        }

        var variable = provider.EnvironmentVariables.FirstOrDefault(v => environment(v) is { Length: > 0 }) ?? provider.EnvironmentVariable;
        if (environment(variable) is { Length: > 0 } connectionString)
        {
            var problem = verify ? await TryConnectAsync(provider, connectionString, cancellationToken) : null;
            return problem is null
                ? new(new EngineServer(provider, connectionString, variable), null)
                : new(null, $"{provider.DisplayName}: {variable} is set ({ConnectionStrings.Redact(connectionString)}) but connecting failed: {problem}");
        }

        if (provider.Engine.Container is not { } container)
        {
            var hint = provider.Engine.LocalEngineHint is { } way ? $", or {way}" : string.Empty;
            return new(null, $"{provider.DisplayName} unavailable: {variable} is not set and the harness knows no container image for it. Set {variable} to a connection string{hint}.");
        }

        string dockerProblem;
        try
        {
            var started = await container.StartAsync(cancellationToken);
            return new(new EngineServer(provider, started.ConnectionString, $"Testcontainers {container.Image}", started.Container), null);
        }
        catch (DockerUnavailableException)
        {
            dockerProblem = "no Docker engine answers";
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            dockerProblem = $"starting {container.Image} failed: {FirstLine(e.Message)}";
        }

        var ways = provider.Engine.LocalEngineHint is { } local
            ? $"Set {variable} to a connection string, start Docker so Testcontainers can run {container.Image}, or {local}."
            : $"Set {variable} to a connection string, or start Docker so Testcontainers can run {container.Image}.";
        return new(null, $"{provider.DisplayName} unavailable: {variable} is not set and {dockerProblem}. {ways}");
    }

    /// <summary>Null when a connection opens and answers; else the reason, without secrets.</summary>
    public static async Task<string?> TryConnectAsync(Provider provider, string connectionString, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(provider);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(ConnectTimeout);
        try
        {
            await using var connection = await provider.Dialect.OpenAsync(connectionString, timeout.Token);
            await provider.Engine.VersionAsync(connection, timeout.Token);
            return null;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return $"no answer within {ConnectTimeout.TotalSeconds:0} s";
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return ConnectionStrings.Scrub(FirstLine(e.Message), connectionString);
        }
    }

    private static string FirstLine(string message) => message.Split('\n', 2)[0].Trim();
}
