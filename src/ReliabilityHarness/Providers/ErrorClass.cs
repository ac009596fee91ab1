namespace ReliabilityHarness.Providers;

/// <summary>How a provider classifies a database error; codes differ per engine (1205 is a deadlock on SQL Server, a lock-wait timeout on MariaDB).</summary>
public enum ErrorClass
{
    /// <summary>Not a database error the provider recognises.</summary>
    Other,

    /// <summary>The whole transaction may succeed if retried: deadlock, serialization failure, busy.</summary>
    Transient,

    /// <summary>A key or check constraint refused the write: retrying cannot help.</summary>
    ConstraintViolation,
}
