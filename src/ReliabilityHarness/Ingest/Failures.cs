using ReliabilityHarness.Engines;
using ReliabilityHarness.Flaws;
using ReliabilityHarness.Providers;

namespace ReliabilityHarness.Ingest;

internal static class Failures
{
    public static IngestFailure Describe(Provider provider, Exception exception, string connectionString, bool rolledBack)
    {
        // A conflict a whole rerun resolves is transient whatever the engine called it; its code is the engine's own.
        // A row the engine skipped silently broke a unique key: a constraint violation the engine did not report.
        var conflict = exception as TransientConflictException;
        var recognised = exception switch
        {
            TransientConflictException => DbErrorKind.SerializationFailure,
            UnwrittenRowException => DbErrorKind.UniqueViolation,
            _ => provider.Dialect.Recognize(exception),
        };
        var engineError = conflict?.InnerException ?? exception;
        var kind = exception switch
        {
            SimulatedCrashException => FailureKind.SimulatedCrash,
            IdempotencyConflictException => FailureKind.IdempotencyConflict,
            _ when recognised.IsConstraint() => Seeded.Has(Flaw.RetriesConstraintViolations) ? FailureKind.Transient : FailureKind.ConstraintViolation,
            _ when recognised.IsTransient() => FailureKind.Transient,
            _ => FailureKind.Database,
        };
        var message = ConnectionStrings.Scrub(exception.Message.Split('\n', 2)[0].Trim(), connectionString);
        return new IngestFailure(kind, message, provider.Dialect.ErrorCode(engineError), rolledBack, recognised == DbErrorKind.Unrecognised ? null : recognised);
    }
}
