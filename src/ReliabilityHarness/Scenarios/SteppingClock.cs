namespace ReliabilityHarness.Scenarios;

/// <summary>
/// A clock that moves one second forward on every reading, so every run of a scenario stamps a later
/// processed_at than the one before: a rerun that wrote anything cannot hide behind an equal timestamp.
/// </summary>
public sealed class SteppingClock(DateTimeOffset start) : TimeProvider
{
    private long step;

    public SteppingClock()
        : this(new DateTimeOffset(2026, 1, 1, 9, 0, 0, TimeSpan.Zero))
    {
    }

    public override DateTimeOffset GetUtcNow() => start.AddSeconds(Interlocked.Increment(ref step));
}
