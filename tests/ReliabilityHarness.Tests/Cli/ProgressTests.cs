using ReliabilityHarness.Tests.Input;

namespace ReliabilityHarness.Tests.Cli;

public sealed class ProgressTests
{
    [TestCase(true)]
    [TestCase(false)]
    public async Task A_long_ingest_shows_progress_on_a_terminal_and_stays_quiet_when_redirected(bool interactive)
    {
        using var files = new TempFiles();
        var input = files.Write("big.csv", ReliabilityHarness.Tests.Scenarios.RealCrashTests.Csv(SamplePayments.Generate(5_000, seed: 2)));
        using var output = new StringWriter();
        using var error = new StringWriter();

        var code = await ReliabilityHarness.Cli.Cli.RunAsync(["ingest", "--input", input, "--connection", $"Data Source={files.PathOf("p.db")}"],
            output, error, _ => null, interactive);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(code, Is.Zero, error.ToString());
            Assert.That(output.ToString(), Does.Contain("5000 inserted"));
            // Spectre.Console redraws the bar with terminal escapes; without them it reads: bar, percent, rows, rate.
            Assert.That(System.Text.RegularExpressions.Regex.Replace(error.ToString(), @"\x1b\[[0-9;?]*[A-Za-z]", string.Empty),
                interactive ? Does.Match(@"\d+% [\d,]+ / 5,000 rows, [\d,]+ rows/s") : Is.Empty);
        }
    }
}
