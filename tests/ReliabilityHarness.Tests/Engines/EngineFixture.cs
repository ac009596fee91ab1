using ReliabilityHarness.Scenarios.Faults;

namespace ReliabilityHarness.Tests.Engines;

/// <summary>
/// The base of every fixture that runs on an engine. The engine is acquired once per run; when it is
/// unavailable the fixture's tests are ignored with the reason, unless HARNESS_REQUIRE names the engine, in
/// which case they fail. Each test takes a database of its own with <see cref="NewDatabaseAsync"/>.
/// </summary>
public abstract class EngineFixture(Provider provider)
{
    private EngineServer? engine;

    protected Provider Provider { get; } = provider;

    [OneTimeSetUp]
    public async Task AcquireEngineAsync() => engine = await TestEngines.RequireAsync(Provider);

    protected Task<IsolatedDatabase> NewDatabaseAsync() =>
        (engine ?? throw new InvalidOperationException("the engine was not acquired")).CreateDatabaseAsync();

    protected Task<IngestResult> IngestAsync(IsolatedDatabase database, IIngestStrategy strategy, IEnumerable<PaymentRecord> payments, IngestOptions? options = null) =>
        strategy.RunAsync(Provider, database.ConnectionString, payments.AsStream(), options ?? new IngestOptions(Time: LaterClock()));

    private static long clocks;

    /// <summary>
    /// A stepping clock an hour later than the one before it: a rerun that rewrote a row shows in its processed_at
    /// even when the test gave it no clock of its own (two fresh clocks would stamp the same instant).
    /// </summary>
    protected static SteppingClock LaterClock() =>
        new(new DateTimeOffset(2026, 1, 1, 9, 0, 0, TimeSpan.Zero).AddHours(Interlocked.Increment(ref clocks)));

    /// <summary>
    /// How to crash and restart this fixture's engine (<c>HARNESS_&lt;ENGINE&gt;_CRASH</c> and <c>_START</c>); without them
    /// the test is ignored with the reason, or fails when HARNESS_REQUIRE names the engine's server-crash.
    /// </summary>
    protected ServerControl RequireServerControl()
    {
        if (ServerControl.From(Provider, Environment.GetEnvironmentVariable) is { } control)
        {
            return control;
        }

        var reason = $"{Provider.EnvironmentVariable}_CRASH and {Provider.EnvironmentVariable}_START are not set: the harness may not stop this engine (scripts/engines.sh prints them for the engine it manages)";
        if (TestEngines.IsRequired(Provider, ServerCrashScenario.Id))
        {
            Assert.Fail(reason);
        }

        Assert.Ignore(reason);
        throw new InvalidOperationException(reason); // not reached: Assert.Ignore throws
    }

    protected Task<IReadOnlyList<StoredPayment>> ReadTableAsync(IsolatedDatabase database) =>
        PaymentsTable.ReadAllAsync(Provider, database.ConnectionString);

    protected static PaymentRecord Row(string id, string user, decimal amount, string currency = "USD", string status = "captured", long line = 2) =>
        new(new Payment(id, user, amount, currency, status), line);
}
