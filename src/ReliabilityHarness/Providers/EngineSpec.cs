using System.Text.RegularExpressions;

namespace ReliabilityHarness.Providers;

/// <summary>
/// An engine as the harness runs it: a name, and optionally a version and a variant — <c>postgresql</c>,
/// <c>postgresql@13</c>, <c>sqlite+wal</c>, <c>mariadb@11.4+snapshot-isolation</c>. Dialect behaviour belongs to a
/// version and a configuration, not to a name: each spec is a column of its own in the matrix and a fixture of its
/// own in the suite, and has a connection variable of its own (<see cref="VariableName"/>).
/// </summary>
public sealed partial record EngineSpec(string Engine, string? Version = null, string? Variant = null)
{
    /// <summary>Reads <c>name[@version][+variant]</c>.</summary>
    /// <exception cref="FormatException">The text is not a spec: says what was expected.</exception>
    public static EngineSpec Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var match = Shape().Match(text.Trim());
        return match.Success
            ? new(match.Groups["name"].Value.ToLowerInvariant(), match.Groups["version"].Success ? match.Groups["version"].Value : null,
                match.Groups["variant"].Success ? match.Groups["variant"].Value.ToLowerInvariant() : null)
            : throw new FormatException($"'{text}' is not an engine spec: expected name[@version][+variant], e.g. postgresql@16 or sqlite+wal");
    }

    /// <summary>
    /// The variable that hands the harness a running engine of this spec: <c>HARNESS_POSTGRESQL</c>,
    /// <c>HARNESS_POSTGRESQL_16</c>, <c>HARNESS_MARIADB_11_4_SNAPSHOT_ISOLATION</c>.
    /// </summary>
    public string VariableName => "HARNESS_" + NotVariable().Replace(ToString(), "_").ToUpperInvariant();

    /// <summary>
    /// Whether an engine that describes itself as <paramref name="versionText"/> (<c>PostgreSQL 13.23</c>) is of this
    /// spec's version: its first version number starts with the spec's (<c>13</c> matches 13.23, not 130.1). Always
    /// true for a spec without a version.
    /// </summary>
    public bool IsVersionOf(string versionText)
    {
        ArgumentNullException.ThrowIfNull(versionText);
        if (Version is null)
        {
            return true;
        }

        var number = VersionIn(versionText);
        return number is not null && (number == Version || number.StartsWith(Version + ".", StringComparison.Ordinal));
    }

    /// <summary>The first version number in what an engine says of itself (<c>PostgreSQL 13.23</c> → 13.23); null if none.</summary>
    public static string? VersionIn(string versionText) =>
        VersionNumber().Match(versionText ?? throw new ArgumentNullException(nameof(versionText))) is { Success: true } number ? number.Value : null;

    public override string ToString() => Engine + (Version is null ? string.Empty : "@" + Version) + (Variant is null ? string.Empty : "+" + Variant);

    [GeneratedRegex(@"^(?<name>[A-Za-z][A-Za-z0-9]*)(@(?<version>[0-9]+(\.[0-9]+)*))?(\+(?<variant>[A-Za-z][A-Za-z0-9-]*))?$")]
    private static partial Regex Shape();

    [GeneratedRegex(@"[0-9]+(\.[0-9]+)*")]
    private static partial Regex VersionNumber();

    [GeneratedRegex("[^A-Za-z0-9]")]
    private static partial Regex NotVariable();
}
