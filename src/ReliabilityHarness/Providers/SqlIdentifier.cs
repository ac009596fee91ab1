namespace ReliabilityHarness.Providers;

/// <summary>
/// The one quoting function for identifiers. Values never go through here: they are always parameters.
/// </summary>
public static class SqlIdentifier
{
    /// <summary>
    /// Quotes <paramref name="identifier"/> between <paramref name="open"/> and <paramref name="close"/>, doubling
    /// any <paramref name="close"/> inside it (the rule of SQL's "…", T-SQL's […] and MySQL's `…` alike).
    /// Refuses what no engine accepts as a name: empty, over 63 characters (PostgreSQL's limit, the smallest),
    /// or containing NUL or other control characters.
    /// </summary>
    public static string Quote(string identifier, char open, char close)
    {
        ArgumentNullException.ThrowIfNull(identifier);
        if (identifier.Length is 0 or > 63 || identifier.Any(char.IsControl))
        {
            throw new ArgumentException($"'{identifier}' cannot be used as an identifier: 1 to 63 characters, no control characters", nameof(identifier));
        }

        return string.Concat(open.ToString(), identifier.Replace(close.ToString(), new string(close, 2), StringComparison.Ordinal), close.ToString());
    }
}
