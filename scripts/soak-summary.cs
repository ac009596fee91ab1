// Reads the TRX files of a soak (scripts/soak.sh: one folder run-K per run, each with the TRX files `dotnet test`
// wrote and the file `exit` holding its exit code) and prints the summary: how many runs, each test that failed with
// how many runs it failed in and the message of each failure, and the plain last line `N passed, N failed, N skipped`
// over every run. A run without a TRX, or one that exited non-zero without a failed test (the test host crashed, the
// run was aborted), counts as one failure of its own: never reported green.
// Run by scripts/soak.sh: dotnet run scripts/soak-summary.cs -- RESULTS-FOLDER
// Exit code: 0 nothing failed; 1 something failed; 2 usage or no run found.
using System.Globalization;
using System.Xml.Linq;

if (args.Length != 1 || !Directory.Exists(args[0]))
{
    Console.Error.WriteLine("usage: dotnet run scripts/soak-summary.cs -- RESULTS-FOLDER");
    return 2;
}

var runs = Directory.GetDirectories(args[0], "run-*")
    .Select(folder => (Folder: folder, Number: int.TryParse(Path.GetFileName(folder)["run-".Length..], CultureInfo.InvariantCulture, out var n) ? n : -1))
    .Where(run => run.Number > 0)
    .OrderBy(run => run.Number)
    .ToList();
if (runs.Count == 0)
{
    Console.Error.WriteLine($"soak-summary: no run-K folder in {args[0]}");
    return 2;
}

XNamespace trx = "http://microsoft.com/schemas/VisualStudio/TeamTest/2010";
var (passed, failed, skipped) = (0, 0, 0);
var failures = new List<Failure>();
foreach (var (folder, number) in runs)
{
    var exit = File.Exists(Path.Combine(folder, "exit")) && int.TryParse(File.ReadAllText(Path.Combine(folder, "exit")).Trim(), CultureInfo.InvariantCulture, out var code) ? code : -1;
    var files = Directory.GetFiles(folder, "*.trx", SearchOption.AllDirectories);
    var runFailed = 0;
    var hostErrors = new List<string>();
    foreach (var file in files)
    {
        var document = XDocument.Load(file);
        foreach (var result in document.Descendants(trx + "UnitTestResult"))
        {
            // As .ci/run counts: error, timeout and aborted are failures; anything neither passed nor failed
            // (NUnit's ignored and inconclusive tests, NotExecuted in the TRX) is skipped.
            switch ((string?)result.Attribute("outcome"))
            {
                case "Passed":
                    passed++;
                    break;
                case "Failed" or "Error" or "Timeout" or "Aborted":
                    runFailed++;
                    var message = (string?)result.Element(trx + "Output")?.Element(trx + "ErrorInfo")?.Element(trx + "Message") ?? "(no message)";
                    failures.Add(new Failure((string?)result.Attribute("testName") ?? "(unnamed test)", number, message.Trim()));
                    break;
                default:
                    skipped++;
                    break;
            }
        }

        // A test host that crashed or a run that was aborted says so here, not in a test's result.
        hostErrors.AddRange(document.Descendants(trx + "RunInfo")
            .Where(info => (string?)info.Attribute("outcome") is "Error" or "Failed")
            .Select(info => ((string?)info.Element(trx + "Text") ?? string.Empty).Trim()));
    }

    if (files.Length == 0 || (exit != 0 && runFailed == 0))
    {
        runFailed++;
        var why = files.Length == 0
            ? $"no TRX file: the test host failed before any test ran (exit {exit})"
            : $"exit {exit} without a failed test: the test host crashed or the run was aborted";
        failures.Add(new Failure("(the test run itself)", number,
            string.Join('\n', hostErrors.Prepend($"{why}; see {Path.Combine(folder, "console.log")}"))));
    }

    failed += runFailed;
}

Console.WriteLine();
Console.WriteLine($"== soak: {runs.Count} run(s), results in {Path.GetFullPath(args[0])}");
if (failures.Count == 0)
{
    Console.WriteLine("no test failed in any run");
}
else
{
    Console.WriteLine("failures per test (runs it failed in, then each failure's message):");
    foreach (var test in failures.GroupBy(f => f.Test).OrderByDescending(g => g.Count()).ThenBy(g => g.Key, StringComparer.Ordinal))
    {
        Console.WriteLine();
        Console.WriteLine($"{test.Key}: failed in {test.Count()} of {runs.Count} run(s)");
        foreach (var failure in test)
        {
            Console.WriteLine($"  run {failure.Run}:");
            foreach (var line in Shortened(failure.Message))
            {
                Console.WriteLine($"    {line}");
            }
        }
    }
}

Console.WriteLine();
Console.WriteLine($"{passed} passed, {failed} failed, {skipped} skipped");
return failed == 0 ? 0 : 1;

// A message of many lines (one EnterMultipleScope with several failed asserts) is cut after 20: the rest is in the TRX.
static IEnumerable<string> Shortened(string message)
{
    var lines = message.ReplaceLineEndings("\n").Split('\n');
    return lines.Length <= 20 ? lines : [.. lines[..20], $"… ({lines.Length - 20} more line(s) in the run's TRX file)"];
}

internal sealed record Failure(string Test, int Run, string Message);
