namespace ReliabilityHarness.Cli;

/// <summary>The exit codes of <c>reliability</c>, as README.md documents them.</summary>
public static class ExitCodes
{
    /// <summary>The command did what it was asked.</summary>
    public const int Success = 0;

    /// <summary>The run failed: the robust strategy rolled back; the unreliable one left what it wrote.</summary>
    public const int RunFailed = 1;

    /// <summary>Bad input or usage: nothing was written.</summary>
    public const int BadInput = 2;

    /// <summary>No engine: it could not be reached or started; nothing was written.</summary>
    public const int EngineUnavailable = 3;
}
