using System.Data.Common;
using System.Text.RegularExpressions;

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
    /// Removes every secret of <paramref name="connectionString"/> from <paramref name="message"/>, for the free-text
    /// messages of drivers that might echo what they were given; never for structured output, which is built from
    /// <see cref="Redact"/>ed strings. A secret (and each long enough piece of it) is replaced only where it stands
    /// as a word of its own, so a password that is also a common word (<c>postgres</c>) leaves <c>postgresql</c> alone.
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
                    message = Replace(message, secret);
                    foreach (var piece in secret.Split([' ', ';', ',', '\'', '"', '='], StringSplitOptions.RemoveEmptyEntries).Where(p => p.Length >= 4))
                    {
                        message = Replace(message, piece);
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

    // Not where a letter, digit or underscore stands right before or after it: a part of a longer word is not the secret.
    private static string Replace(string message, string secret) =>
        Regex.Replace(message, $@"(?<![\p{{L}}\p{{N}}_]){Regex.Escape(secret)}(?![\p{{L}}\p{{N}}_])", "***", RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));
}
