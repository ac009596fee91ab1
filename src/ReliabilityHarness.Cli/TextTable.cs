using Spectre.Console;
using Spectre.Console.Rendering;

namespace ReliabilityHarness.Cli;

/// <summary>
/// A console table by Spectre.Console, boxed in ASCII, columns as wide as their widest cell, each line indented as
/// the surrounding text is. Rendered as plain text (no colour, no escape codes), so it reads the same on a terminal,
/// in a file and in a CI log.
/// </summary>
internal static class TextTable
{
    public static string Render(IReadOnlyList<string> headers, IEnumerable<IReadOnlyList<string>> rows, string indent = "  ")
    {
        ArgumentNullException.ThrowIfNull(headers);
        var table = new Table().Border(TableBorder.Ascii2);
        foreach (var header in headers)
        {
            table.AddColumn(new TableColumn(new Text(header)));
        }

        foreach (var row in rows)
        {
            table.AddRow(row.Select(cell => (IRenderable)new Text(cell)));
        }

        return string.Concat(PlainText.Of(table).Split('\n').Select(line => line.TrimEnd()).Where(line => line.Length > 0)
            .Select(line => indent + line + Environment.NewLine));
    }
}

/// <summary>Spectre.Console renderables written as plain text to any <see cref="TextWriter"/>.</summary>
internal static class PlainText
{
    public static IAnsiConsole Console(TextWriter writer, bool interactive = false) => AnsiConsole.Create(new AnsiConsoleSettings
    {
        Ansi = interactive ? AnsiSupport.Detect : AnsiSupport.No,
        ColorSystem = interactive ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
        Interactive = interactive ? InteractionSupport.Yes : InteractionSupport.No,
        Out = new AnsiConsoleOutput(writer),
    });

    public static string Of(IRenderable renderable)
    {
        using var writer = new StringWriter();
        var console = Console(writer);
        console.Profile.Width = 240;
        console.Write(renderable);
        return writer.ToString();
    }
}
