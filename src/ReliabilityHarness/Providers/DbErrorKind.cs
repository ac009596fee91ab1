namespace ReliabilityHarness.Providers;

/// <summary>
/// What a database error means, as a provider recognises it from its engine's codes. The codes differ per engine
/// (1205 is a deadlock on SQL Server and a lock-wait timeout on MariaDB), the meanings do not.
/// </summary>
public enum DbErrorKind
{
    /// <summary>Not a database error the provider recognises.</summary>
    Unrecognised,

    /// <summary>The engine is busy with another writer (SQLite BUSY, LOCKED).</summary>
    Busy,

    /// <summary>The engine broke a deadlock by aborting this transaction.</summary>
    Deadlock,

    /// <summary>The transaction could not be serialized with a concurrent one (SQLSTATE 40001, SNAPSHOT 3960).</summary>
    SerializationFailure,

    /// <summary>A lock wait ran out of time.</summary>
    LockTimeout,

    /// <summary>Another error the engine documents as worth retrying (a connection reset, a failover).</summary>
    OtherTransient,

    /// <summary>A primary key or unique constraint refused a duplicate.</summary>
    UniqueViolation,

    /// <summary>Another constraint (CHECK, NOT NULL, FOREIGN KEY) refused the write.</summary>
    OtherConstraint,
}

public static class DbErrorKinds
{
    /// <summary>Whether retrying the whole transaction can succeed.</summary>
    public static bool IsTransient(this DbErrorKind kind) =>
        kind is DbErrorKind.Busy or DbErrorKind.Deadlock or DbErrorKind.SerializationFailure or DbErrorKind.LockTimeout or DbErrorKind.OtherTransient;

    /// <summary>Whether a constraint refused the write: retrying cannot help.</summary>
    public static bool IsConstraint(this DbErrorKind kind) => kind is DbErrorKind.UniqueViolation or DbErrorKind.OtherConstraint;

    /// <summary>The kind as reports spell it: <c>serialization-failure</c>, <c>unique-violation</c>, ….</summary>
    public static string Spelling(this DbErrorKind kind) => kind switch
    {
        DbErrorKind.Busy => "busy",
        DbErrorKind.Deadlock => "deadlock",
        DbErrorKind.SerializationFailure => "serialization-failure",
        DbErrorKind.LockTimeout => "lock-timeout",
        DbErrorKind.OtherTransient => "transient",
        DbErrorKind.UniqueViolation => "unique-violation",
        DbErrorKind.OtherConstraint => "constraint-violation",
        _ => "error",
    };
}
