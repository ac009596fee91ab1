using System.Xml.Linq;

namespace ReliabilityHarness.Tests.Ci;

/// <summary>
/// The pipeline sample consumes our packages from artifacts/packages and pins their version itself (it stops the
/// repository's props on purpose); a version bump that forgets it would leave the sample restoring nothing.
/// </summary>
public sealed class PackagingTests
{
    [Test]
    public void The_pipeline_sample_asks_for_the_version_the_repository_packs()
    {
        var packed = Property(RepositoryFiles.PathOf("Directory.Build.props"), "Version");
        var consumed = Property(RepositoryFiles.PathOf("samples", "dotnet-pipeline", "Directory.Packages.props"), "ReliabilityHarnessVersion");
        Assert.That(consumed, Is.EqualTo(packed).And.Not.Empty);
    }

    private static string Property(string file, string name) =>
        XDocument.Load(file).Descendants(name).Single().Value;
}
