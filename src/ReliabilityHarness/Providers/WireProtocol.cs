namespace ReliabilityHarness.Providers;

/// <summary>
/// The protocol a server engine's clients speak on the network, whatever their language or driver: what the statement
/// proxy of <c>reliability check</c> parses to find each statement a pipeline sends.
/// </summary>
public enum WireProtocol
{
    /// <summary>PostgreSQL's frontend/backend protocol, version 3 (postgresql.org/docs/current/protocol.html).</summary>
    PostgreSql,

    /// <summary>MySQL's client/server protocol, which MariaDB speaks too (dev.mysql.com/doc/dev/mysql-server/latest/PAGE_PROTOCOL.html).</summary>
    MySql,
}
