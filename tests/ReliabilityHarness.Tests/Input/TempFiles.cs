using System.Text;

namespace ReliabilityHarness.Tests.Input;

/// <summary>Files a test writes and removes again.</summary>
public sealed class TempFiles : IDisposable
{
    private readonly DirectoryInfo directory = Directory.CreateTempSubdirectory("reliability-test-");

    public string Write(string name, string text) => Write(name, Encoding.UTF8.GetBytes(text));

    public string Write(string name, byte[] bytes)
    {
        var path = Path.Combine(directory.FullName, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    public string PathOf(string name) => Path.Combine(directory.FullName, name);

    public void Dispose() => directory.Delete(recursive: true);
}
