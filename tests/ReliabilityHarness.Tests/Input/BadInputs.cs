using System.Text;

namespace ReliabilityHarness.Tests.Input;

/// <summary>Every way the issue lists for a payments file to be wrong, shared by the reader's tests and the CLI's.</summary>
public static class BadInputs
{
    private const string Header = "payment_id,user_id,amount,currency\n";

    // Each bad case: the text, then the line and column the message must name, then a fragment of what was expected.
    public static readonly object[] All =
    [
        Bad("empty file", "", 1, 1, "the file is empty"),
        Bad("unknown column", "payment_id,user,amount,currency\n", 1, 12, "unknown column 'user'"),
        Bad("misspelt column in another case", "payment_id,user_id,Amount,currency\n", 1, 20, "did you mean 'amount'"),
        Bad("semicolons", "payment_id;user_id;amount;currency\n", 1, 1, "separated by commas"),
        Bad("missing column", "payment_id,user_id,amount\np1,u1,1\n", 1, 26, "missing column 'currency'"),
        Bad("duplicate column", "payment_id,user_id,amount,currency,amount\n", 1, 36, "appears twice"),
        Bad("empty id", Header + "p1,u1,1,USD\n,u2,1,USD\n", 3, 1, "payment_id: expected a non-empty id"),
        Bad("over-long id", Header + new string('x', 65) + ",u1,1,USD\n", 2, 1, "at most 64 characters, got 65"),
        Bad("id with a leading space", Header + " p1,u1,1,USD\n", 2, 1, "no leading or trailing spaces"),
        Bad("empty user", Header + "p1,,1,USD\n", 2, 4, "user_id: expected a non-empty id"),
        Bad("amount not a number", Header + "p1,u1,abc,USD\n", 2, 7, "amount: expected a positive decimal"),
        Bad("negative amount", Header + "p1,u1,-5,USD\n", 2, 7, "expected a positive amount, got '-5'"),
        Bad("zero amount", Header + "p1,u1,0.00,USD\n", 2, 7, "expected a positive amount, got '0.00'"),
        Bad("five decimals", Header + "p1,u1,1.23456,USD\n", 2, 7, "expected at most 4 fractional digits, got '1.23456'"),
        Bad("exponent", Header + "p1,u1,1e3,USD\n", 2, 7, "exponents are not allowed"),
        Bad("NaN", Header + "p1,u1,NaN,USD\n", 2, 7, "expected a positive decimal"),
        Bad("lower-case currency", Header + "p1,u1,1,usd\n", 2, 9, "upper-case ISO 4217 code"),
        Bad("unknown currency", Header + "p1,u1,1,XYZ\n", 2, 9, "ISO 4217"),
        Bad("two-letter currency", Header + "p1,u1,1,US\n", 2, 9, "ISO 4217"),
        Bad("bad status", Header.TrimEnd() + ",status\np1,u1,1,USD,not ok\n", 2, 13, "status: expected"),
        Bad("too few fields", Header + "p1,u1,1,USD\np2,u2,1\n", 3, 8, "expected 4 fields"),
        Bad("too many fields", Header + "p1,u1,1,USD,extra\n", 2, 13, "found 5"),
        Bad("unterminated quote", Header + "p1,u1,1,USD\np2,\"u2,1,USD\np3,u3,1,USD\n", 3, 4, "unterminated quote"),
        Bad("stray quote", Header + "p1,u\"1,1,USD\n", 2, 5, "quote inside an unquoted field"),
        Bad("text after closing quote", Header + "p1,\"u1\"x,1,USD\n", 2, 8, "after the closing quote"),
        Bad("control character in id", Header + "p\u00071,u1,1,USD\n", 2, 1, "control characters"),
        Bad("line after many", Header + string.Concat(Enumerable.Range(1, 500).Select(i => $"p{i},u,1,USD\n")) + "p501,u,1,US D\n", 502, 10, "ISO 4217"),
    ];

    private static object[] Bad(string name, string text, long line, long column, string expected) =>
        [name, Encoding.UTF8.GetBytes(text), line, column, expected];
}
