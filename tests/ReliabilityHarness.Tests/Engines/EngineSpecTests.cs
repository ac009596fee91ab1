using ReliabilityHarness.Cli;
using ReliabilityHarness.Tests.Cli;

namespace ReliabilityHarness.Tests.Engines;

/// <summary>
/// Engine specs, <c>name[@version][+variant]</c>: read, named, given a variable and a container image of their own,
/// refused with the reason where the engine cannot be had so; and a matrix column never filled by another version.
/// </summary>
public sealed class EngineSpecTests
{
    [TestCase("postgresql", "postgresql", null, null, "HARNESS_POSTGRESQL")]
    [TestCase("postgresql@16", "postgresql", "16", null, "HARNESS_POSTGRESQL_16")]
    [TestCase("MariaDB@11.4+Snapshot-Isolation", "mariadb", "11.4", "snapshot-isolation", "HARNESS_MARIADB_11_4_SNAPSHOT_ISOLATION")]
    [TestCase("sqlite+wal", "sqlite", null, "wal", "HARNESS_SQLITE_WAL")]
    public void A_spec_is_read_and_named_and_has_its_own_variable(string text, string engine, string? version, string? variant, string variable)
    {
        var spec = EngineSpec.Parse(text);

        using (Assert.EnterMultipleScope())
        {
            Assert.That((spec.Engine, spec.Version, spec.Variant), Is.EqualTo((engine, version, variant)));
            Assert.That(spec.VariableName, Is.EqualTo(variable));
            Assert.That(EngineSpec.Parse(spec.ToString()), Is.EqualTo(spec), "written as it is read");
        }
    }

    [TestCase("postgresql@")]
    [TestCase("@16")]
    [TestCase("postgresql@sixteen")]
    [TestCase("postgresql+")]
    [TestCase("postgresql 16")]
    public void Anything_else_is_refused_saying_what_a_spec_looks_like(string text) =>
        Assert.That(() => EngineSpec.Parse(text), Throws.TypeOf<FormatException>().With.Message.EqualTo($"'{text}' is not an engine spec: expected name[@version][+variant], e.g. postgresql@16 or sqlite+wal"));

    [Test]
    public void A_versioned_server_is_the_same_dialect_with_its_own_variable_image_and_name()
    {
        var postgresql = ProviderCatalog.Find("postgresql")!;
        var sixteen = ProviderCatalog.Find("postgresql@16")!;
        var mariadb = ProviderCatalog.Find("mariadb@11.4")!;

        using (Assert.EnterMultipleScope())
        {
            Assert.That((sixteen.Name, sixteen.DisplayName, sixteen.EnvironmentVariable), Is.EqualTo(("postgresql@16", "PostgreSql@16", "HARNESS_POSTGRESQL_16")));
            Assert.That(sixteen.Dialect, Is.SameAs(postgresql.Dialect));
            Assert.That(sixteen.Engine.Container!.Image, Is.EqualTo("postgres:16"));
            Assert.That(postgresql.Engine.Container!.Image, Is.EqualTo("postgres:17.6"), "the unversioned name keeps its pinned image");
            Assert.That(mariadb.Engine.Container!.Image, Is.EqualTo("mariadb:11.4"));
            Assert.That(ProviderCatalog.Find("sqlserver@2019")!.Engine.Container!.Image, Is.EqualTo("mcr.microsoft.com/mssql/server:2019-latest"));
            Assert.That(ProviderCatalog.Find("oracle@19"), Is.Null);
            Assert.That(ProviderCatalog.Find("sqlserver+rcsi")!.Dialect.DatabaseSetupSql, Does.Contain("SET READ_COMMITTED_SNAPSHOT ON"), "each database of the variant is switched");
            Assert.That(ProviderCatalog.Find("sqlserver+rcsi")!.EnvironmentVariables, Is.EqualTo(new[] { "HARNESS_SQLSERVER_RCSI", "HARNESS_SQLSERVER" }), "a variant is served by the unvaried engine's server");
            Assert.That(sixteen.Dialect.DatabaseSetupSql, Is.Null);
        }
    }

    [TestCase("PostgreSQL 13.23", "13", true)]
    [TestCase("PostgreSQL 15.18 (Debian 15.18-0+deb12u1)", "13", false)]
    [TestCase("PostgreSQL 130.1", "13", false)]
    [TestCase("MariaDB 11.4.5-MariaDB", "11.4", true)]
    [TestCase("MariaDB 11.8.1-MariaDB", "11.4", false)]
    public void A_spec_knows_its_version_in_what_the_engine_says(string said, string version, bool matches) =>
        Assert.That(new EngineSpec("any", version).IsVersionOf(said), Is.EqualTo(matches));

    [TestCase("sqlite@3.45", "sqlite@3.45: embedded: its version is the one its driver bundles")]
    [TestCase("postgresql+wal", "postgresql has no variant '+wal'")]
    [TestCase("postgresql@", "'postgresql@' is not an engine spec")]
    public async Task A_spec_the_harness_cannot_run_is_bad_use_with_the_reason(string spec, string reason)
    {
        var run = await CliRun.InProcessAsync(["matrix", "--providers", spec]);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(run.Code, Is.EqualTo(2));
            Assert.That(run.Error, Does.Contain(reason));
        }
    }

    [Test]
    public async Task A_versioned_column_is_never_filled_by_another_version()
    {
        // HARNESS_POSTGRESQL_13 pointing at this machine's PostgreSQL (15 here) must not be recorded as 13.
        if (Environment.GetEnvironmentVariable("HARNESS_POSTGRESQL") is not { Length: > 0 } server)
        {
            Assert.Ignore("HARNESS_POSTGRESQL is not set: no server to misname");
            return;
        }

        var report = await ReliabilityHarness.Matrix.MatrixRunner.RunAsync([ProviderCatalog.Find("postgresql@13")!],
            name => name == "HARNESS_POSTGRESQL_13" ? server : null, ReliabilityHarness.Scenarios.Faults.ChildCommand.InDirectory(AppContext.BaseDirectory));
        var engine = report.Engines.Single();

        using (Assert.EnterMultipleScope())
        {
            Assert.That(engine.Unavailable, Does.Contain("HARNESS_POSTGRESQL_13 reaches PostgreSQL").And.Contain("not postgresql 13"));
            Assert.That(report.AllAsExpected, Is.False, "a misnamed engine fails the run");
            Assert.That(report.Rows, Is.All.Matches<ReliabilityHarness.Matrix.MatrixRow>(r => r!.Ok == false));
        }
    }
}
