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
        IReadOnlyList<KeyValuePair<EdnKeyword, EdnNode>> or IReadOnlyList<KeyValuePair<EdnNode, EdnNode>> => "{…}",
        EdnSymbol symbol => symbol.Name,
        _ => Value.ToString() ?? string.Empty,
    };
}

internal sealed record EdnKeyword(string Name)
{
    public override string ToString() => ":" + Name;
}

/// <summary>A symbol other than nil, true and false (a Java class in a Jepsen exception's <c>:type</c>, say).</summary>
internal sealed record EdnSymbol(string Name);

/// <summary>A number that is not a 64-bit integer (a float, a decimal, a big integer), kept as written.</summary>
internal sealed record EdnNumber(string Text)
{
    public override string ToString() => Text;
}

/// <summary>
/// Reads the EDN that Jepsen and Elle histories hold (https://github.com/edn-format/edn): top-level maps with keyword
/// keys (the operation maps), and within them maps with any keys, vectors, lists and sets, keywords, symbols,
/// integers and other numbers, strings, nil, true and false, tagged values (<c>#inst "…"</c>, read as the value) and
/// <c>#_</c> discards; commas are whitespace and <c>;</c> starts a comment. A nemesis's or an exception's data is so
/// read and left alone; anything that is not EDN is refused with the line, the column and what was expected.
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
        return position >= text.Length ? null : Value("a value", topLevel: true);
    }

    public HistoryFormatException Error(int atLine, int atColumn, string problem) => new(file, atLine, atColumn, problem);

    private HistoryFormatException Expected(string what) =>
        Error(line, column, $"expected {what}, got {(position >= text.Length ? "the end of the file" : $"'{text[position]}'")}");

    private EdnNode Value(string expected, bool topLevel = false)
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
            '{' when topLevel => Map(),
            '{' => AnyMap(),
            '[' => Sequence(']'),
            '(' => Sequence(')'),
            '#' => Dispatch(expected),
            ':' => Keyword(),
            '"' => String(),
            _ when char.IsAsciiDigit(c) || ((c is '-' or '+') && position + 1 < text.Length && char.IsAsciiDigit(text[position + 1])) => Number(),
            _ when char.IsAsciiLetter(c) || c is '*' or '!' or '_' or '?' or '<' or '>' or '=' or '.' or '-' or '+' or '/' => Symbol(),
            _ => throw Expected(expected),
        };
        return value as EdnNode ?? new EdnNode(value, startLine, startColumn);
    }

    /// <summary>An operation map: its keys are keywords.</summary>
    private List<KeyValuePair<EdnKeyword, EdnNode>> Map() => Entries(() =>
        position < text.Length && text[position] == ':' ? (EdnKeyword)Value("a map key (keyword)").Value! : throw Expected("a map key (keyword)"), key => key.ToString());

    /// <summary>A map inside a value, whose keys may be anything (a nemesis's <c>{"n1" "…"}</c>).</summary>
    private List<KeyValuePair<EdnNode, EdnNode>> AnyMap() => Entries(() => Value("a map key or '}'"), key => key.Shown);

    private List<KeyValuePair<TKey, EdnNode>> Entries<TKey>(Func<TKey> readKey, Func<TKey, string> shown)
    {
        Advance();
        var entries = new List<KeyValuePair<TKey, EdnNode>>();
        while (true)
        {
            SkipWhitespace();
            if (position < text.Length && text[position] == '}')
            {
                Advance();
                return entries;
            }

            var key = readKey();
            SkipWhitespace();
            if (position < text.Length && text[position] == '}')
            {
                throw Expected($"a value for {shown(key)}");
            }

            entries.Add(new(key, Value($"a value for {shown(key)}")));
        }
    }

    /// <summary>What follows '#': a set <c>#{…}</c> (read as a sequence) or a tagged value <c>#tag x</c> (read as x); <c>#_</c> is skipped as whitespace.</summary>
    private object? Dispatch(string expected)
    {
        Advance();
        if (position < text.Length && text[position] == '{')
        {
            return Sequence('}');
        }

        if (Name().Length == 0)
        {
            throw Expected("a set '#{', a discard '#_' or a tag after '#'");
        }

        return Value("a value after its tag");
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

    private object? Symbol()
    {
        var name = Name();
        return name switch
        {
            "nil" => null,
            "true" => true,
            "false" => false,
            _ => new EdnSymbol(name),
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

    /// <summary>An integer that fits 64 bits as a long; any other number (1.5, 1e3, 2.5M, a big 123N) as <see cref="EdnNumber"/>.</summary>
    private object Number()
    {
        var start = position;
        Advance();
        Digits();
        var integral = true;
        if (position < text.Length && text[position] == '.')
        {
            integral = false;
            Advance();
            Digits();
        }

        if (position < text.Length && text[position] is 'e' or 'E')
        {
            integral = false;
            Advance();
            if (position < text.Length && text[position] is '-' or '+')
            {
                Advance();
            }

            Digits();
        }

        var digits = text[start..position];
        if (position < text.Length && text[position] is 'N' or 'M')
        {
            integral &= text[position] == 'N';
            Advance();
        }

        if (position < text.Length && (char.IsAsciiLetterOrDigit(text[position]) || text[position] is '.'))
        {
            throw Expected("a number to end");
        }

        return integral && long.TryParse(digits, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n) ? n : new EdnNumber(text[start..position]);
    }

    private void Digits()
    {
        while (position < text.Length && char.IsAsciiDigit(text[position]))
        {
            Advance();
        }
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
            else if (c == '#' && position + 1 < text.Length && text[position + 1] == '_')
            {
                // #_ discards the next value wherever it stands, even last in a collection: it is whitespace with a value in it.
                Advance();
                Advance();
                Value("a value to discard after #_");
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
