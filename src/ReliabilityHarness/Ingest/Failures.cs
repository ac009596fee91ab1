using ReliabilityHarness.Engines;
using ReliabilityHarness.Providers;

namespace ReliabilityHarness.Ingest;

internal static class Failures
{
    public static IngestFailure Describe(Provider provider, Exception exception, string connectionString, bool rolledBack)
    {
        var kind = exception switch
        {
            SimulatedCrashException => FailureKind.SimulatedCrash,
            IdempotencyConflictException => FailureKind.IdempotencyConflict,
            _ when provider.Recognize(exception).IsConstraint() => FailureKind.ConstraintViolation,
            _ when provider.Recognize(exception).IsTransient() => FailureKind.Transient,
            _ => FailureKind.Database,
        };
        var message = ConnectionStrings.Scrub(exception.Message.Split('\n', 2)[0].Trim(), connectionString);
        var recognised = provider.Recognize(exception);
        return new IngestFailure(kind, message, provider.ErrorCode(exception), rolledBack, recognised == DbErrorKind.Unrecognised ? null : recognised);
    }
}
