using System.Globalization;
using System.Text;

namespace ReliabilityHarness.Histories;

/// <summary>An EDN value read with where it starts: a keyword, an integer, a string, nil, a vector or list, or a map.</summary>
internal sealed record EdnNode(object? Value, int Line, int Column)
{
    /// <summary>How the value looks in a message: <c>:ok</c>, <c>12</c>, <c>"a"</c>, <c>nil</c>, <c>[…]</c>, <c>{…}</c>.</summary>
    public string Shown => Value switch
    {
        null => "nil",
        EdnKeyword k => k.ToString(),
        string s => $"\"{s}\"",
        long n => n.ToString(CultureInfo.InvariantCulture),
        bool b => b ? "true" : "false",
        IReadOnlyList<EdnNode> => "[…]",
        IReadOnlyList<KeyValuePair<EdnKeyword, EdnNode>> => "{…}",
        _ => Value.ToString() ?? string.Empty,
    };
}

internal sealed record EdnKeyword(string Name)
{
    public override string ToString() => ":" + Name;
}

/// <summary>
/// Reads the subset of EDN that Elle's list-append histories use (https://github.com/edn-format/edn): maps with
/// keyword keys, vectors and lists, keywords, integers, strings, nil, true and false; commas are whitespace and
/// <c>;</c> starts a comment. Anything else is refused with the line, the column and what was expected.
/// </summary>
internal sealed class EdnReader(string text, string file)
{
    private int position;
    private int line = 1;
    private int column = 1;

    /// <summary>The next top-level value, or null at the end of the text.</summary>
    public EdnNode? Next()
    {
        SkipWhitespace();
        return position >= text.Length ? null : Value("a value");
    }

    public HistoryFormatException Error(int atLine, int atColumn, string problem) => new(file, atLine, atColumn, problem);

    private HistoryFormatException Expected(string what) =>
        Error(line, column, $"expected {what}, got {(position >= text.Length ? "the end of the file" : $"'{text[position]}'")}");

    private EdnNode Value(string expected)
    {
        SkipWhitespace();
        var (startLine, startColumn) = (line, column);
        if (position >= text.Length)
        {
            throw Expected(expected);
        }

        var c = text[position];
        object? value = c switch
        {
            '{' => Map(),
            '[' => Sequence(']'),
            '(' => Sequence(')'),
            ':' => Keyword(),
            '"' => String(),
            _ when char.IsAsciiDigit(c) || ((c is '-' or '+') && position + 1 < text.Length && char.IsAsciiDigit(text[position + 1])) => Integer(),
            _ when char.IsAsciiLetter(c) => Symbol(expected),
            _ => throw Expected(expected),
        };
        return new EdnNode(value, startLine, startColumn);
    }

    private List<KeyValuePair<EdnKeyword, EdnNode>> Map()
    {
        Advance();
        var entries = new List<KeyValuePair<EdnKeyword, EdnNode>>();
        while (true)
        {
            SkipWhitespace();
            if (position < text.Length && text[position] == '}')
            {
                Advance();
                return entries;
            }

            if (position >= text.Length || text[position] != ':')
            {
                throw Expected("a map key (keyword)");
            }

            var key = (EdnKeyword)Value("a map key (keyword)").Value!;
            SkipWhitespace();
            if (position < text.Length && text[position] == '}')
            {
                throw Expected($"a value for {key}");
            }

            entries.Add(new(key, Value($"a value for {key}")));
        }
    }

    private List<EdnNode> Sequence(char close)
    {
        Advance();
        var items = new List<EdnNode>();
        while (true)
        {
            SkipWhitespace();
            if (position < text.Length && text[position] == close)
            {
                Advance();
                return items;
            }

            if (position >= text.Length || text[position] is '}' or ']' or ')')
            {
                throw Expected($"a value or '{close}'");
            }

            items.Add(Value($"a value or '{close}'"));
        }
    }

    private EdnKeyword Keyword()
    {
        Advance();
        var name = Name();
        return name.Length > 0 ? new EdnKeyword(name) : throw Expected("a keyword name after ':'");
    }

    private object? Symbol(string expected)
    {
        var (startLine, startColumn) = (line, column);
        var name = Name();
        return name switch
        {
            "nil" => null,
            "true" => true,
            "false" => false,
            _ => throw Error(startLine, startColumn, $"expected {expected}, got the symbol '{name}'"),
        };
    }

    private string Name()
    {
        var start = position;
        while (position < text.Length && (char.IsAsciiLetterOrDigit(text[position]) || text[position] is '-' or '_' or '?' or '!' or '*' or '.' or '/' or '+' or '<' or '>' or '='))
        {
            Advance();
        }

        return text[start..position];
    }

    private long Integer()
    {
        var (startLine, startColumn) = (line, column);
        var start = position;
        Advance();
        while (position < text.Length && char.IsAsciiDigit(text[position]))
        {
            Advance();
        }

        var digits = text[start..position];
        if (position < text.Length && text[position] == 'N')
        {
            Advance(); // an EDN big integer: fine while it fits
        }

        if (position < text.Length && (char.IsAsciiLetterOrDigit(text[position]) || text[position] is '.'))
        {
            throw Expected("an integer to end");
        }

        return long.TryParse(digits, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n)
            ? n
            : throw Error(startLine, startColumn, $"expected an integer that fits 64 bits, got {digits}");
    }

    private string String()
    {
        var (startLine, startColumn) = (line, column);
        Advance();
        var value = new StringBuilder();
        while (position < text.Length && text[position] != '"')
        {
            if (text[position] == '\\')
            {
                Advance();
                if (position >= text.Length)
                {
                    break;
                }

                value.Append(text[position] switch
                {
                    'n' => '\n',
                    't' => '\t',
                    'r' => '\r',
                    '"' or '\\' => text[position],
                    _ => throw Expected("an escape: \\n \\t \\r \\\" or \\\\"),
                });
            }
            else
            {
                value.Append(text[position]);
            }

            Advance();
        }

        if (position >= text.Length)
        {
            throw Error(startLine, startColumn, "expected the string to end with '\"', got the end of the file");
        }

        Advance();
        return value.ToString();
    }

    private void SkipWhitespace()
    {
        while (position < text.Length)
        {
            var c = text[position];
            if (c == ';')
            {
                while (position < text.Length && text[position] != '\n')
                {
                    Advance();
                }
            }
            else if (char.IsWhiteSpace(c) || c == ',')
            {
                Advance();
            }
            else
            {
                return;
            }
        }
    }

    private void Advance()
    {
        if (text[position] == '\n')
        {
            (line, column) = (line + 1, 1);
        }
        else
        {
            column++;
        }

        position++;
    }
}
