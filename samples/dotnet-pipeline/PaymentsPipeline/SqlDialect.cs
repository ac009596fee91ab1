namespace PaymentsPipeline;

/// <summary>
/// The engines the loaders speak. The caller says which: the connection's type cannot tell (a wrapper, such as the
/// harness's fault-injecting connection or a profiler's, hides the driver's type).
/// </summary>
public enum SqlDialect
{
    Sqlite,
    PostgreSql,
    DuckDb,
    MariaDb,
}
