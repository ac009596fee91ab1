using ReliabilityHarness.Histories;

namespace ReliabilityHarness.Tests.Histories;

/// <summary>
/// The EDN reader at its edges: a file cut off anywhere is refused as a history (never an index error), every
/// character a symbol or keyword may hold is read as one, numbers and strings as EDN spells them, and a discard or a
/// tag where it changes what a transaction is.
/// </summary>
public sealed class EdnEdgeTests
{
    [TestCase("{", "1:2: expected a map key (keyword), got the end of the file")]
    [TestCase("{:type", "1:7: expected a value for :type, got the end of the file")]
    [TestCase("{:type :ok", "1:11: expected a map key (keyword), got the end of the file")]
    [TestCase("{:type :ok, :process 5", "1:23: expected a map key (keyword), got the end of the file")]
    [TestCase("{:type :ok, :time 1e", "1:21: expected a map key (keyword), got the end of the file")]
    [TestCase("{:type :ok, :value #", "1:21: expected a set '#{', a discard '#_' or a tag after '#', got the end of the file")]
    [TestCase("{:type :ok, :value #tag", "1:24: expected a value after its tag, got the end of the file")]
    [TestCase("{:type :ok, :value [] #_", "1:25: expected a value to discard after #_, got the end of the file")]
    [TestCase("{:type :ok, :x {", "1:17: expected a map key or '}', got the end of the file")]
    [TestCase("{:type :ok, :x \"abc", "1:16: expected the string to end with '\"', got the end of the file")]
    [TestCase("{:type :ok, :x \"ab\\", "1:16: expected the string to end with '\"', got the end of the file")]
    public void A_history_cut_off_anywhere_is_refused_where_it_ends(string text, string message)
    {
        var refused = Assert.Throws<HistoryFormatException>(() => HistoryFormat.Parse(text));
        Assert.That(refused.Message, Is.EqualTo($"history.edn:{message}"));
    }

    [TestCase("{:type :, :value []}", "1:9: expected a keyword name after ':', got ','")]
    [TestCase("{:type :ok, :value [@]}", "1:21: expected a value or ']', got '@'")]
    [TestCase("{:type :ok, :x \"a\\qb\"}", "1:19: expected an escape: \\n \\t \\r \\\" or \\\\, got 'q'")]
    [TestCase("{:type :ok, :value [[:append 1 1e-3]], :process 0}", "1:32: expected an appended value to be an integer, got 1e-3")]
    [TestCase("{:type :ok, :value [[:append 1 1e+3]], :process 0}", "1:32: expected an appended value to be an integer, got 1e+3")]
    [TestCase("{:type :ok, :value [[:append 1 5M]], :process 0}", "1:32: expected an appended value to be an integer, got 5M")]
    [TestCase("{:type :ok, :value [[:append 1 -x]], :process 0}", "1:32: expected an appended value to be an integer, got -x")]
    [TestCase("{:type :ok, :value [[:append 1 +]], :process 0}", "1:32: expected an appended value to be an integer, got +")]
    [TestCase("{:type :ok, :value [[:r 1 [1 nil]]], :process 0}", "1:30: expected a list element to be an integer, got nil")]
    [TestCase("{:type :ok, :value [[:r [1] nil]], :process 0}", "1:25: expected a key (an integer, a string or a keyword), got […]")]
    [TestCase("{:type :ok, :value [[:r 1]], :process 0}", "1:21: expected a micro-operation [:append k v] or [:r k list], got […]")]
    [TestCase("{:type :ok, :value 5, :process 0}", "1:20: expected :value to be a vector of micro-operations, got 5")]
    [TestCase("{:type :ok, :f \"txn\", :value [], :process 0}", "1:16: expected :f to be a keyword (:txn), got \"txn\"")]
    [TestCase("{:type :ok, :value [], :index :i}", "1:31: expected :index to be an integer, got :i")]
    [TestCase("{:type :ok, :value [], :time \"t\"}", "1:30: expected :time to be an integer, got \"t\"")]
    [TestCase("{:type nil, :value []}", "1:8: expected :type to be :invoke, :ok, :fail or :info, got nil")]
    [TestCase("{:type true, :value []}", "1:8: expected :type to be :invoke, :ok, :fail or :info, got true")]
    [TestCase("{:type false, :value []}", "1:8: expected :type to be :invoke, :ok, :fail or :info, got false")]
    [TestCase("{:type {\"a\" 1}, :value []}", "1:8: expected :type to be :invoke, :ok, :fail or :info, got {…}")]
    [TestCase("{:type ok?, :value []}", "1:8: expected :type to be :invoke, :ok, :fail or :info, got ok?")]
    public void A_value_that_is_not_what_the_format_expects_is_shown_as_written(string text, string message)
    {
        var refused = Assert.Throws<HistoryFormatException>(() => HistoryFormat.Parse(text));
        Assert.That(refused.Message, Is.EqualTo($"history.edn:{message}"));
    }

    [Test]
    public void Every_character_a_symbol_or_a_keyword_may_hold_is_read_as_part_of_it()
    {
        // Unknown keys and their values are left alone, but they must be read as one key and one value each: a
        // keyword cut at any of these characters would leave a value where a key must be.
        const string Text = """
            {:type :ok, :a-b_c?d!e*f.g/h+i<j>k=l 1, :_x [*a !b _c ?d <e >f =g .h - + / a_b -c +d], :value [], :process 0} ; no newline after this
            """;
        var operation = HistoryFormat.Parse(Text).Single();
        Assert.That((operation.Type, operation.Value.Count, operation.Process), Is.EqualTo((OperationType.Ok, 0, 0L)));
    }

    [Test]
    public void Signed_integers_big_integer_literals_and_tagged_values_are_read_as_their_integer()
    {
        var operation = HistoryFormat.Parse("{:type :ok, :value [[:append 1 -5] [:append 1 +6] [:append 1 12N] [:append 1 #my/tag 7]], :process 0}").Single();
        Assert.That(operation.Value.Cast<Append>().Select(a => a.Value), Is.EqualTo(new[] { -5L, 6L, 12L, 7L }));
    }

    [Test]
    public void A_discarded_micro_operation_is_not_part_of_the_transaction()
    {
        var operation = HistoryFormat.Parse("{:type :ok, :value [[:append 1 1] #_ [:append 1 2] #_[:r 1 [1]]], #_ :type #_ :fail :process 0}").Single();
        Assert.That((operation.Type, operation.Value.Count), Is.EqualTo((OperationType.Ok, 1)));
    }

    [Test]
    public void A_string_key_with_escapes_is_read_as_its_text_and_written_back_escaped()
    {
        var operation = HistoryFormat.Parse("{:type :invoke, :value [[:append \"a\\tb\\rc\\\\\" 1]], :process 0}").Single();
        Assert.That(operation.Value[0].Key.Edn, Is.EqualTo("\"a\\tb\\rc\\\\\""));
        Assert.That(HistoryFormat.Format(operation), Is.EqualTo("{:type :invoke, :value [[:append \"a\\tb\\rc\\\\\" 1]], :process 0}"));
    }

    [Test]
    public void Null_arguments_are_refused_by_name()
    {
        using (Assert.EnterMultipleScope())
        {
            Assert.That(() => HistoryFormat.Parse(null!), Throws.ArgumentNullException.With.Property("ParamName").EqualTo("text"));
            Assert.That(() => HistoryFormat.Write(null!, []), Throws.ArgumentNullException.With.Property("ParamName").EqualTo("writer"));
            Assert.That(() => HistoryFormat.Write(TextWriter.Null, null!), Throws.ArgumentNullException.With.Property("ParamName").EqualTo("operations"));
            Assert.That(() => HistoryFormat.Format((Operation)null!), Throws.ArgumentNullException.With.Property("ParamName").EqualTo("operation"));
            Assert.That(() => Transaction.Pair(null!), Throws.ArgumentNullException.With.Property("ParamName").EqualTo("history"));
            Assert.That(() => ListAppendChecker.Check((IReadOnlyList<Transaction>)null!), Throws.ArgumentNullException.With.Property("ParamName").EqualTo("transactions"));
        }
    }
}
