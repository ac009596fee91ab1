using System.Collections.Concurrent;
using System.Data.Common;
using NUnit.Framework;
using ReliabilityHarness.DuckDb;
using ReliabilityHarness.Engines;
using ReliabilityHarness.MariaDb;
using ReliabilityHarness.Pipelines;
using ReliabilityHarness.PostgreSql;
using ReliabilityHarness.Providers;
using ReliabilityHarness.Sqlite;
using ReliabilityHarness.SqlServer;

namespace ReliabilityHarness.NUnit;

/// <summary>
/// The engines a <see cref="PipelineFixture"/> runs on: put
/// <c>[TestFixtureSource(typeof(PipelineEngines), nameof(PipelineEngines.All))]</c> on your fixture (NUnit does not
/// inherit it). An engine is found as the harness finds one: SQLite and DuckDB always (a temporary file);
/// PostgreSQL, MariaDB and SQL Server from <c>HARNESS_POSTGRESQL</c>, <c>HARNESS_MARIADB</c>, <c>HARNESS_SQLSERVER</c>,
/// else Testcontainers when Docker answers; otherwise the engine's tests are ignored with the reason, or fail when
/// <c>HARNESS_REQUIRE</c> (a comma list of engine names) names it.
/// </summary>
public static class PipelineEngines
{
    public const string RequireVariable = "HARNESS_REQUIRE";

    private static readonly ConcurrentDictionary<string, Lazy<Task<EngineAvailability>>> Found = new();

    public static IReadOnlyList<Provider> Providers { get; } =
        [SqliteProvider.Create(), PostgreSqlProvider.Create(), SqlServerProvider.Create(), MariaDbProvider.Create(), DuckDbProvider.Create()];

    public static IEnumerable<TestFixtureData> All => Where(_ => true);

    /// <summary>
    /// The engines your pipeline supports, for a source of your own: <c>public static IEnumerable&lt;TestFixtureData&gt;
    /// Engines =&gt; PipelineEngines.Where(p =&gt; p.Name != "sqlserver");</c> — an engine left out gets no tests at all,
    /// rather than tests that are skipped.
    /// </summary>
    public static IEnumerable<TestFixtureData> Where(Func<Provider, bool> supported) =>
        Providers.Where(supported).Select(p => new TestFixtureData(p).SetArgDisplayNames(p.DisplayName));

    /// <summary>The engine of <paramref name="provider"/>, found once per test run; ignored or failed (HARNESS_REQUIRE) when there is none.</summary>
    public static async Task<EngineServer> RequireAsync(Provider provider)
    {
        ArgumentNullException.ThrowIfNull(provider);
        return Require(provider, await Found.GetOrAdd(provider.Name, _ => new Lazy<Task<EngineAvailability>>(
            () => EngineAcquisition.AcquireAsync(provider, Environment.GetEnvironmentVariable))).Value);
    }

    /// <summary>The engine <paramref name="availability"/> found, or the test ignored with the reason (failed when HARNESS_REQUIRE names the engine).</summary>
    public static EngineServer Require(Provider provider, EngineAvailability availability)
    {
        ArgumentNullException.ThrowIfNull(provider);
        ArgumentNullException.ThrowIfNull(availability);
        if (availability.Server is { } server)
        {
            return server;
        }

        var required = (Environment.GetEnvironmentVariable(RequireVariable) ?? string.Empty).Split(',', StringSplitOptions.TrimEntries);
        if (required.Contains(provider.Name, StringComparer.OrdinalIgnoreCase))
        {
            Assert.Fail($"{availability.UnavailableReason} ({provider.Name} is in {RequireVariable}, so a missing engine fails the run)");
        }

        Assert.Ignore(availability.UnavailableReason ?? $"{provider.DisplayName} unavailable");
        throw new InvalidOperationException("unreachable: Assert.Ignore throws");
    }
}

/// <summary>
/// Your .NET pipeline under ReliabilityHarness: subclass this with your pipeline (<see cref="RunPipelineAsync"/>: open
/// every connection through the <see cref="PipelineDatabase"/> it gets), the before-state (<see cref="SetUpAsync"/>)
/// and the tables it writes (<see cref="Tables"/>), and put <c>[TestFixtureSource(typeof(PipelineEngines),
/// nameof(PipelineEngines.All))]</c> on it. Each engine then gets one test per property: <c>Clean_run</c>,
/// <c>Rerun_idempotent</c>, <c>Atomic</c> (a crash before each statement the pipeline sends, commits included, leaves
/// the before- or the after-state), <c>Recovers</c> (a rerun after each crash reaches the after-state) and
/// <c>Concurrent_exactly_once</c>; each prints its evidence. The check runs once per engine, in a database of its own.
/// </summary>
public abstract class PipelineFixture(Provider provider)
{
    private IsolatedDatabase? database;
    private BeforeState? before;
    private CheckReport? report;

    protected Provider Provider { get; } = provider;

    /// <summary>The tables the pipeline writes: compared row by row, every column.</summary>
    protected abstract IReadOnlyList<string> Tables { get; }

    /// <summary>Brings the database to the before-state (create the tables, insert what is there before the run); run before every trial.</summary>
    protected abstract Task SetUpAsync(DbConnection connection, CancellationToken cancellationToken);

    /// <summary>The pipeline: open every connection with <see cref="PipelineDatabase.OpenAsync"/>; throw when it fails.</summary>
    protected abstract Task RunPipelineAsync(PipelineDatabase database, CancellationToken cancellationToken);

    /// <summary>
    /// Properties this pipeline is known not to hold (e.g. <see cref="PipelineProperty.Atomic"/> for one that commits
    /// in batches): their tests pass only when the check sees them fail, so a known flaw is a negative control that must
    /// stay visible, and its fix turns the test red until this list is updated.
    /// </summary>
    protected virtual IReadOnlyCollection<string> KnownViolations => [];

    /// <summary>The check's options: <c>--volatile</c> columns, copies started together (default 2), crash points at most.</summary>
    protected virtual CheckOptions Options => new();

    /// <summary>How long one run of the pipeline may take before it is reported as not ending.</summary>
    protected virtual TimeSpan Bound => TimeSpan.FromMinutes(2);

    /// <summary>The check's whole report, once it has run.</summary>
    protected CheckReport Report => report ?? throw new InvalidOperationException("the check has not run");

    [OneTimeSetUp]
    public async Task CheckPipelineAsync()
    {
        var engine = await PipelineEngines.RequireAsync(Provider);
        database = await engine.CreateDatabaseAsync();
        var connectionString = database.ConnectionString;
        before = BeforeState.Setup(async token =>
        {
            await using var connection = await Provider.Dialect.OpenAsync(connectionString, token);
            await SetUpAsync(connection, token);
        }, $"{GetType().Name}.{nameof(SetUpAsync)}");
        var pipeline = new DelegatePipeline(Provider, connectionString, RunPipelineAsync, $"{GetType().Name}.{nameof(RunPipelineAsync)}", Bound);
        var check = new PipelineCheck(Provider.Dialect, connectionString, Tables.Select(TableName.Parse).ToList(), before, pipeline, Options);
        report = await check.RunAsync(line => TestContext.Progress.WriteLine($"{Provider.DisplayName}: {line}"));
    }

    [OneTimeTearDown]
    public async Task DropDatabaseAsync()
    {
        before?.Dispose();
        if (database is not null)
        {
            await database.DisposeAsync();
        }
    }

    [Test]
    public void Clean_run() => Verdict(PipelineProperty.CleanRun);

    [Test]
    public void Rerun_idempotent() => Verdict(PipelineProperty.RerunIdempotent);

    [Test]
    public void Atomic() => Verdict(PipelineProperty.Atomic);

    [Test]
    public void Recovers() => Verdict(PipelineProperty.Recovers);

    [Test]
    public void Concurrent_exactly_once() => Verdict(PipelineProperty.ConcurrentExactlyOnce);

    private void Verdict(string property)
    {
        var verdict = Report[property];
        var evidence = string.Join(Environment.NewLine, verdict.Evidence);
        TestContext.Out.WriteLine($"{property}: {CheckFormats.Mark(verdict.Ok)} ({verdict.Trials} trial(s), {verdict.Failures} failure(s))");
        TestContext.Out.WriteLine(evidence);
        if (verdict.Ok is null)
        {
            Assert.Ignore($"{property} not decided: {verdict.Evidence[0]}");
        }

        if (KnownViolations.Contains(property))
        {
            Assert.That(verdict.Ok, Is.False, $"{property} is listed as a known violation, so it must be seen failing, but it held:{Environment.NewLine}{evidence}");
        }
        else
        {
            Assert.That(verdict.Ok, Is.True, $"{property} does not hold:{Environment.NewLine}{evidence}");
        }
    }
}
