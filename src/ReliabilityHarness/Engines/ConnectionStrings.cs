using System.Data.Common;

namespace ReliabilityHarness.Engines;

/// <summary>Connection strings as a person may see them: with every secret replaced.</summary>
public static class ConnectionStrings
{
    private static readonly string[] SecretKeys = ["password", "pwd", "pass", "passwd", "accesstoken", "access token"];

    /// <summary>
    /// <paramref name="connectionString"/> with the value of every password-like key replaced by <c>***</c>.
    /// A string that does not parse is hidden whole rather than risked.
    /// </summary>
    public static string Redact(string connectionString)
    {
        try
        {
            var builder = new DbConnectionStringBuilder { ConnectionString = connectionString };
            foreach (var key in builder.Keys.Cast<string>().ToList())
            {
                if (SecretKeys.Contains(key.Trim().ToLowerInvariant()))
                {
                    builder[key] = "***";
                }
            }

            return builder.ConnectionString;
        }
        catch (ArgumentException)
        {
            return "(connection string hidden: it does not parse as key=value pairs)";
        }
    }

    /// <summary>
    /// Removes every secret of <paramref name="connectionString"/> from <paramref name="message"/>, for messages
    /// of drivers that might echo what they were given.
    /// </summary>
    public static string Scrub(string message, string? connectionString)
    {
        if (string.IsNullOrEmpty(connectionString))
        {
            return message;
        }

        try
        {
            var builder = new DbConnectionStringBuilder { ConnectionString = connectionString };
            foreach (var key in builder.Keys.Cast<string>())
            {
                if (SecretKeys.Contains(key.Trim().ToLowerInvariant()) && builder[key]?.ToString() is { Length: > 0 } secret)
                {
                    // The whole secret, then each long enough piece of it, in case a message quotes only part.
                    message = message.Replace(secret, "***", StringComparison.Ordinal);
                    foreach (var piece in secret.Split([' ', ';', ',', '\'', '"', '='], StringSplitOptions.RemoveEmptyEntries).Where(p => p.Length >= 4))
                    {
                        message = message.Replace(piece, "***", StringComparison.Ordinal);
                    }
                }
            }
        }
        catch (ArgumentException)
        {
            // Nothing parsed, nothing known to scrub.
        }

        return message.Replace(connectionString, Redact(connectionString), StringComparison.Ordinal);
    }
}
