using System.Text;

namespace ReliabilityHarness.Tests.Input;

/// <summary>The CSV contract: every way a file can be wrong is refused with file, line, column and what was expected.</summary>
public sealed class PaymentCsvTests
{
    private const string Header = "payment_id,user_id,amount,currency\n";
    private TempFiles files = null!;

    [SetUp]
    public void CreateFiles() => files = new TempFiles();

    [TearDown]
    public void RemoveFiles() => files.Dispose();

    [Test]
    public async Task A_valid_file_reads_every_payment_with_its_line()
    {
        var path = files.Write("ok.csv", Header + "p1,u1,12.34,USD\n\"p2\",\"u,2\",5,EUR\n\np3,u3,0.0001,JPY\n");
        var records = await ReadAllAsync(path);

        Assert.That(records, Is.EqualTo(new[]
        {
            new PaymentRecord(new Payment("p1", "u1", 12.34m, "USD", "captured"), 2),
            new PaymentRecord(new Payment("p2", "u,2", 5m, "EUR", "captured"), 3),
            new PaymentRecord(new Payment("p3", "u3", 0.0001m, "JPY", "captured"), 5),
        }));
    }

    [Test]
    public async Task A_byte_order_mark_CRLF_line_ends_reordered_columns_and_a_status_are_accepted()
    {
        var path = files.Write("excel.csv", "\uFEFFstatus,currency,amount,user_id,payment_id\r\nrefunded,USD,1.5,u1,p1\r\n,EUR,2,u2,p2\r\n");
        var records = await ReadAllAsync(path);

        Assert.That(records.Select(r => r.Payment), Is.EqualTo(new[]
        {
            new Payment("p1", "u1", 1.5m, "USD", "refunded"),
            new Payment("p2", "u2", 2m, "EUR", "captured"),
        }));
    }

    [Test]
    public async Task A_header_without_rows_is_an_empty_input() =>
        Assert.That(await PaymentCsv.ValidateAsync(files.Write("header.csv", Header)), Is.Zero);

    [Test]
    public async Task UTF16_with_its_byte_order_mark_is_accepted()
    {
        var path = files.Write("utf16.csv", Encoding.Unicode.GetPreamble().Concat(Encoding.Unicode.GetBytes(Header + "p1,u1,1,USD\n")).ToArray());
        Assert.That((await ReadAllAsync(path)).Single().Payment.PaymentId, Is.EqualTo("p1"));
    }

    [TestCaseSource(typeof(BadInputs), nameof(BadInputs.All))]
    public async Task A_bad_file_is_refused_naming_line_column_and_what_was_expected(string name, byte[] content, long line, long column, string expected)
    {
        var path = files.Write("bad.csv", content);
        var error = (await Assert.ThrowsAsync<InputException>(() => PaymentCsv.ValidateAsync(path)))!;

        using (Assert.EnterMultipleScope())
        {
            Assert.That(error.File, Is.EqualTo(path));
            Assert.That((error.Line, error.Column), Is.EqualTo((line, column)), error.Message);
            Assert.That(error.Message, Does.Contain(expected));
            Assert.That(error.Message, Does.StartWith($"{path}:{line}:{column}: "));
        }
    }

    [Test]
    public async Task Invalid_UTF8_is_refused_at_its_field()
    {
        var bytes = Encoding.UTF8.GetBytes(Header + "p1,u").Concat(new byte[] { 0xFF, 0xFE }).Concat(Encoding.UTF8.GetBytes(",1,USD\n")).ToArray();
        var error = (await Assert.ThrowsAsync<InputException>(() => PaymentCsv.ValidateAsync(files.Write("latin.csv", bytes))))!;

        Assert.That((error.Line, error.Column, error.Problem), Is.EqualTo((2L, 4L, "user_id: not valid UTF-8; save the file as UTF-8")));
    }

    [Test]
    public async Task A_column_counts_characters_not_bytes()
    {
        var error = (await Assert.ThrowsAsync<InputException>(() => PaymentCsv.ValidateAsync(files.Write("utf8.csv", Header + "p1,üser,1,EURO\n"))))!;
        Assert.That((error.Line, error.Column), Is.EqualTo((2L, 11L)));
    }

    [Test]
    public async Task A_record_longer_than_the_limit_is_refused_without_reading_the_rest()
    {
        var path = files.Write("huge.csv", Header + "p1,\"" + new string('u', PaymentCsv.MaxRecordBytes * 2) + "\",1,USD\n");
        var error = (await Assert.ThrowsAsync<InputException>(() => PaymentCsv.ValidateAsync(path)))!;
        Assert.That(error.Line, Is.EqualTo(2));
    }

    [Test]
    public async Task A_missing_file_is_named()
    {
        var error = (await Assert.ThrowsAsync<InputException>(() => PaymentCsv.ValidateAsync(files.PathOf("nope.csv"))))!;
        Assert.That(error.Message, Does.EndWith("nope.csv: no such file"));
    }

    private static async Task<List<PaymentRecord>> ReadAllAsync(string path) => await PaymentCsv.ReadAsync(path).ToListAsync();
}
