using ReliabilityHarness.Engines;
using ReliabilityHarness.Providers;

namespace ReliabilityHarness.Ingest;

internal static class Failures
{
    public static IngestFailure Describe(Provider provider, Exception exception, string connectionString, bool rolledBack)
    {
        var engineError = exception is ConcurrentKeyException { InnerException: { } inner } ? inner : exception;
        var recognised = exception is ConcurrentKeyException ? DbErrorKind.SerializationFailure : provider.Dialect.Recognize(exception);
        var kind = exception switch
        {
            SimulatedCrashException => FailureKind.SimulatedCrash,
            IdempotencyConflictException => FailureKind.IdempotencyConflict,
            _ when recognised.IsConstraint() => FailureKind.ConstraintViolation,
            _ when recognised.IsTransient() => FailureKind.Transient,
            _ => FailureKind.Database,
        };
        var message = ConnectionStrings.Scrub(exception.Message.Split('\n', 2)[0].Trim(), connectionString);
        return new IngestFailure(kind, message, provider.Dialect.ErrorCode(engineError), rolledBack, recognised == DbErrorKind.Unrecognised ? null : recognised);
    }
}
