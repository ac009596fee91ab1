using System.Text;

namespace ReliabilityHarness.Cli;

/// <summary>A plain console table: a header, a rule, rows; columns as wide as their widest cell.</summary>
internal static class TextTable
{
    public static string Render(IReadOnlyList<string> headers, IEnumerable<IReadOnlyList<string>> rows, string indent = "  ")
    {
        var all = rows.ToList();
        var widths = headers.Select((h, i) => all.Select(r => r[i].Length).Append(h.Length).Max()).ToArray();
        var text = new StringBuilder();

        void Line(IEnumerable<string> cells) =>
            text.AppendLine((indent + string.Join("  ", cells.Select((c, i) => c.PadRight(widths[i])))).TrimEnd());

        Line(headers);
        Line(widths.Select(w => new string('-', w)));
        foreach (var row in all)
        {
            Line(row);
        }

        return text.ToString();
    }
}
