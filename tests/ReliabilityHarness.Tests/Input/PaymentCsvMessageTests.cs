using System.Text;

namespace ReliabilityHarness.Tests.Input;

/// <summary>
/// What the reader says about a bad file, word for word where the words are the contract: the expected header, the
/// limits, the field a bad byte is in, the hint for a lower-case currency, and the place a person has to look —
/// also in files with a byte order mark, in UTF-16, without a final line end, and after quoted fields.
/// </summary>
public sealed class PaymentCsvMessageTests
{
    private const string Header = "payment_id,user_id,amount,currency\n";
    private TempFiles files = null!;

    [SetUp]
    public void CreateFiles() => files = new TempFiles();

    [TearDown]
    public void RemoveFiles() => files.Dispose();

    [Test]
    public async Task An_unknown_column_is_refused_with_the_whole_expected_header_and_no_hint_when_none_is_close()
    {
        var error = await RefusedAsync("payment_id,user_id,amount,currency,comment\n");
        Assert.That(error.Problem, Is.EqualTo("unknown column 'comment'; expected payment_id,user_id,amount,currency[,status]"));
    }

    [Test]
    public async Task A_directory_or_a_file_in_a_missing_directory_is_named_as_such()
    {
        var directory = Path.GetDirectoryName(files.Write("any.csv", Header))!;
        var isDirectory = (await Assert.ThrowsAsync<InputException>(() => PaymentCsv.ValidateAsync(directory)))!;
        var missing = (await Assert.ThrowsAsync<InputException>(() => PaymentCsv.ValidateAsync(Path.Combine(directory, "no-such-dir", "p.csv"))))!;

        using (Assert.EnterMultipleScope())
        {
            Assert.That(isDirectory.Message, Is.EqualTo($"{directory}: is a directory, expected a CSV file"));
            Assert.That(missing.Problem, Is.EqualTo("no such directory"));
            Assert.That((missing.Line, missing.Column), Is.EqualTo((0L, 0L)), "the file as a whole");
        }
    }

    [Test]
    public async Task A_header_longer_than_the_record_limit_is_refused_at_line_1_saying_the_limit()
    {
        var error = await RefusedAsync("payment_id,\"" + new string('u', PaymentCsv.MaxRecordBytes * 2) + "\",amount,currency\np1,u1,1,USD\n");

        using (Assert.EnterMultipleScope())
        {
            Assert.That((error.Line, error.Column), Is.EqualTo((1L, 1L)));
            Assert.That(error.Problem, Does.StartWith("the header row is longer than 64 KiB; expected payment_id,user_id,amount,currency[,status]"));
        }
    }

    [Test]
    public async Task A_record_longer_than_the_limit_says_the_limit_in_KiB()
    {
        var error = await RefusedAsync(Header + "p1,\"" + new string('u', PaymentCsv.MaxRecordBytes * 2) + "\",1,USD\n");
        Assert.That(error.Problem, Does.StartWith("a record longer than 64 KiB"));
    }

    [Test]
    public async Task A_header_that_is_not_UTF8_is_refused_at_its_column()
    {
        var bytes = Encoding.UTF8.GetBytes("payment_id,user_id,").Concat(new byte[] { 0xFF }).Concat(Encoding.UTF8.GetBytes("amount,currency\n")).ToArray();
        var error = (await Assert.ThrowsAsync<InputException>(() => PaymentCsv.ValidateAsync(files.Write("latin.csv", bytes))))!;
        Assert.That((error.Line, error.Column, error.Problem), Is.EqualTo((1L, 20L, "the header is not valid UTF-8; save the file as UTF-8")));
    }

    [TestCase("amount", 7L)]
    [TestCase("currency", 9L)]
    [TestCase("status", 13L)]
    public async Task A_field_that_is_not_UTF8_is_named_in_the_message(string column, long at)
    {
        var fields = new Dictionary<string, string> { ["amount"] = "1", ["currency"] = "USD", ["status"] = "captured" };
        var text = $"payment_id,user_id,amount,currency,status\np1,u1,{fields["amount"]},{fields["currency"]},{fields["status"]}\n";
        var bytes = Encoding.UTF8.GetBytes(text).ToList();
        var start = Encoding.UTF8.GetByteCount(text[..(text.IndexOf("p1,u1,", StringComparison.Ordinal) + (int)at - 1)]);
        bytes.Insert(start, 0xFF);
        var error = (await Assert.ThrowsAsync<InputException>(() => PaymentCsv.ValidateAsync(files.Write("bad.csv", bytes.ToArray()))))!;

        Assert.That((error.Line, error.Column, error.Problem), Is.EqualTo((2L, at, $"{column}: not valid UTF-8; save the file as UTF-8")));
    }

    [Test]
    public async Task A_record_with_too_few_fields_names_the_first_missing_column()
    {
        var error = await RefusedAsync(Header + "p1,u1,1\n");
        Assert.That(error.Problem, Is.EqualTo("expected 4 fields (payment_id,user_id,amount,currency), found 3: 'currency' is missing"));
    }

    [Test]
    public async Task A_lower_case_currency_is_told_how_to_write_it_and_an_unknown_one_is_not()
    {
        var lower = await RefusedAsync(Header + "p1,u1,1,eur\n");
        var unknown = await RefusedAsync(Header + "p1,u1,1,XYZ\n");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(lower.Problem, Is.EqualTo("currency: expected an upper-case ISO 4217 code, got 'eur' (write EUR)"));
            Assert.That(unknown.Problem, Is.EqualTo("currency: expected an ISO 4217 code such as USD or EUR, got 'XYZ'"));
        }
    }

    [Test]
    public async Task A_status_of_32_characters_is_accepted_and_one_of_33_is_refused()
    {
        var longest = new string('s', PaymentCsv.MaxStatusLength);
        var records = await ReadAllAsync(files.Write("ok.csv", $"payment_id,user_id,amount,currency,status\np1,u1,1,USD,{longest}\n"));
        var error = await RefusedAsync($"payment_id,user_id,amount,currency,status\np1,u1,1,USD,{longest}s\n");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(records.Single().Payment.Status, Is.EqualTo(longest));
            Assert.That((error.Column, error.Problem), Is.EqualTo((13L, $"status: expected up to 32 letters, digits, '_' or '-' (such as captured), got '{longest}s'")));
        }
    }

    [Test]
    public async Task An_id_of_64_characters_is_accepted_and_one_of_65_is_refused_with_its_length()
    {
        var longest = new string('p', PaymentCsv.MaxIdLength);
        var records = await ReadAllAsync(files.Write("ok.csv", $"{Header}{longest},u1,1,USD\n"));
        var error = await RefusedAsync($"{Header}p1,{longest}u,1,USD\n");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(records.Single().Payment.PaymentId, Is.EqualTo(longest));
            Assert.That((error.Column, error.Problem), Is.EqualTo((4L, "user_id: expected at most 64 characters, got 65")));
        }
    }

    // A value quoted back in a message is cut after 40 characters, so a 100,000-character field cannot flood the terminal.
    [Test]
    public async Task A_long_value_is_quoted_back_cut_after_40_characters()
    {
        var digits = new string('1', 50);
        var error = await RefusedAsync($"{Header}p1,u1,{digits},USD\n");
        Assert.That(error.Problem, Is.EqualTo($"amount: expected at most 15 digits before the decimal point, got '{digits[..40]}…'"));
    }

    [Test]
    public async Task A_control_character_is_shown_as_its_code_point()
    {
        var error = await RefusedAsync(Header + "p\u00071,u1,1,USD\n");
        Assert.That(error.Problem, Is.EqualTo("payment_id: expected no control characters, got 'p\\u00071'"));
    }

    [Test]
    public async Task Validating_a_file_counts_its_payments()
    {
        var path = files.Write("three.csv", Header + "p1,u1,1,USD\n\np2,u2,2,EUR\np3,u3,3,GBP\n");
        Assert.That(await PaymentCsv.ValidateAsync(path), Is.EqualTo(3));
    }

    [Test]
    public async Task A_header_error_in_a_file_with_a_byte_order_mark_counts_columns_after_the_mark()
    {
        var error = await RefusedAsync("\uFEFFpayment_id,user,amount,currency\n");
        Assert.That((error.Line, error.Column), Is.EqualTo((1L, 12L)));
    }

    [Test]
    public async Task A_header_error_in_a_file_without_a_line_end_is_located_at_its_column()
    {
        var error = await RefusedAsync("payment_id,user_id,amount,currency,comment");
        Assert.That((error.Line, error.Column), Is.EqualTo((1L, 36L)));
    }

    // In UTF-16 a column cannot be counted from the bytes the way UTF-8's is; the line is named and the column is 1.
    [Test]
    public async Task A_header_error_in_UTF16_is_located_at_line_1_column_1()
    {
        var bytes = Encoding.Unicode.GetPreamble().Concat(Encoding.Unicode.GetBytes("payment_id,user_id,amount,currency,comment\np1,u1,1,USD,x\n")).ToArray();
        var error = (await Assert.ThrowsAsync<InputException>(() => PaymentCsv.ValidateAsync(files.Write("utf16.csv", bytes))))!;

        using (Assert.EnterMultipleScope())
        {
            Assert.That((error.Line, error.Column), Is.EqualTo((1L, 1L)));
            Assert.That(error.Problem, Does.StartWith("unknown column 'comment'"));
        }
    }

    [TestCase("\"p2,u2,1,USD", 1L, TestName = "{m}(at the start of the record)")]
    [TestCase("p2,\"u\"\"2,1,USD", 4L, TestName = "{m}(after an escaped quote)")]
    public async Task An_unterminated_quote_is_located_where_it_opened(string record, long column)
    {
        var error = await RefusedAsync(Header + "p1,u1,1,USD\n" + record + "\np3,u3,1,USD\n");

        using (Assert.EnterMultipleScope())
        {
            Assert.That((error.Line, error.Column), Is.EqualTo((3L, column)));
            Assert.That(error.Problem, Does.Contain("unterminated quote"));
        }
    }

    // No payment field holds a line break: a quote closed only on the next line is the quote left open on its own line.
    [Test]
    public async Task A_quote_closed_on_the_next_line_is_refused_as_an_unterminated_quote_on_its_own_line()
    {
        var error = await RefusedAsync(Header + "p1,u1,1,USD\np2,\"u2\nx\",1,USD\n");
        Assert.That((error.Line, error.Column, error.Problem), Is.EqualTo((3L, 4L, "a quoted field is not closed before the end of the line (unterminated quote)")));
    }

    [Test]
    public async Task An_unterminated_quote_on_the_last_line_is_refused_there()
    {
        var error = await RefusedAsync(Header + "p1,u1,1,USD\np2,\"u2,1,USD\n");
        Assert.That((error.Line, error.Column, error.Problem), Is.EqualTo((3L, 4L, "a quoted field is not closed before the end of the line (unterminated quote)")));
    }

    [Test]
    public async Task A_quote_error_in_the_header_is_refused_at_its_column()
    {
        var error = await RefusedAsync("payment_id,\"user_id,amount,currency\np1,u1,1,USD\n");
        Assert.That((error.Line, error.Column, error.Problem), Is.EqualTo((1L, 12L, "a quoted field is not closed before the end of the line (unterminated quote)")));
    }

    [Test]
    public async Task A_field_after_a_quoted_field_with_a_comma_is_located_at_its_real_start()
    {
        var error = await RefusedAsync(Header + "p1,\"u,1\",abc,USD\n");
        Assert.That((error.Line, error.Column), Is.EqualTo((2L, 10L)));
    }

    // Blank lines are skipped wherever they are, before the header too (the header is the first line that is not
    // blank, as the reader reads it): a file that starts with one is read as its author meant it, and a header error
    // names the line the header is on, where the author has to look, not line 1.
    [TestCase("\n", 2L, TestName = "{m}(one blank line)")]
    [TestCase("\r\n\r\n", 3L, TestName = "{m}(two blank CRLF lines)")]
    [TestCase("\uFEFF\n", 2L, TestName = "{m}(a byte order mark, then a blank line)")]
    public async Task A_header_after_blank_lines_is_read_and_its_errors_name_its_own_line(string blank, long headerLine)
    {
        var read = await ReadAllAsync(files.Write("good.csv", blank + Header + "p1,u1,1,USD\n"));
        var unknown = await RefusedAsync(blank + "payment_id,user,amount,currency\n");
        var missing = await RefusedAsync(blank + "payment_id,user_id,amount\np1,u1,1\n");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(read.Select(r => (r.Payment.PaymentId, r.Line)), Is.EqualTo(new[] { ("p1", headerLine + 1) }));
            Assert.That((unknown.Line, unknown.Column), Is.EqualTo((headerLine, 12L)), unknown.Problem);
            Assert.That((missing.Line, missing.Column), Is.EqualTo((headerLine, 26L)), missing.Problem);
        }
    }

    [Test]
    public async Task A_file_of_blank_lines_only_is_refused_as_empty()
    {
        var error = await RefusedAsync("\n\r\n\n");
        Assert.That(error.Problem, Does.StartWith("the file is empty"));
    }

    private async Task<InputException> RefusedAsync(string text) =>
        (await Assert.ThrowsAsync<InputException>(() => PaymentCsv.ValidateAsync(files.Write("bad.csv", text))))!;

    private static async Task<List<PaymentRecord>> ReadAllAsync(string path) => await PaymentCsv.ReadAsync(path).ToListAsync();
}
