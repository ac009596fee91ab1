using ReliabilityHarness.Histories;
using ReliabilityHarness.Tests.Input;

namespace ReliabilityHarness.Tests.Histories;

/// <summary>Elle's list-append format: what is read, what is refused (with line and column), and the round trip.</summary>
public sealed class HistoryFormatTests
{
    private const string Elle = """
        {:type :invoke, :f :txn, :value [[:append 5 1] [:r 5 nil]], :process 0, :time 10, :index 0}
        {:type :ok, :f :txn, :value [[:append 5 1] [:r 5 [1]]], :process 0, :time 20, :index 1}
        {:type :invoke, :f :txn, :value [[:r 5 nil] [:r 6 nil]], :process 1, :index 2}
        {:type :fail, :f :txn, :value [[:r 5 nil] [:r 6 nil]], :process 1, :index 3}
        {:type :invoke, :f :txn, :value [[:append 6 2]], :process 2, :index 4}
        {:type :info, :f :txn, :value [[:append 6 2]], :process 2, :index 5}
        """;

    [Test]
    public void An_invocation_and_its_completion_are_read_as_Elle_writes_them()
    {
        var operations = HistoryFormat.Parse(Elle);
        Assert.That(operations, Has.Count.EqualTo(6));
        var (invoke, ok) = (operations[0], operations[1]);
        using (Assert.EnterMultipleScope())
        {
            Assert.That((invoke.Type, invoke.Function, invoke.Process, invoke.Time, invoke.Index, invoke.Line), Is.EqualTo((OperationType.Invoke, "txn", 0L, 10L, 0L, 1)));
            Assert.That(invoke.Value, Is.EqualTo(new MicroOp[] { new Append(HistoryKey.Of(5), 1), new Read(HistoryKey.Of(5), null) }));
            Assert.That(ok.Type, Is.EqualTo(OperationType.Ok));
            Assert.That(((Read)ok.Value[1]).Values, Is.EqualTo(new[] { 1L }));
            Assert.That(operations.Select(o => o.Type), Is.EqualTo(new[] { OperationType.Invoke, OperationType.Ok, OperationType.Invoke, OperationType.Fail, OperationType.Invoke, OperationType.Info }));
        }
    }

    [Test]
    public void A_completed_read_of_nil_or_of_an_empty_vector_is_the_empty_list()
    {
        var transactions = Transaction.Pair(HistoryFormat.Parse("""
            {:type :invoke, :value [[:r 1 nil] [:r 2 nil]], :process 0}
            {:type :ok, :value [[:r 1 nil] [:r 2 []]], :process 0}
            """));
        Assert.That(transactions.Single().Ops.Cast<Read>().Select(r => r.Values), Is.EqualTo(new[] { Array.Empty<long>(), Array.Empty<long>() }));
    }

    [Test]
    public void Absent_f_time_and_index_comments_commas_lists_and_unknown_keys_are_fine()
    {
        var operations = HistoryFormat.Parse("""
            ; a history written by hand
            {:type :invoke :value ([:append :x 1] [:r "y" nil]) :process 3 :node "n1" :error [:timeout {:ms 5}]}
            {:type :ok, :value [[:append :x 1], [:r "y" [7, 8]]], :process 3} ; done
            {:type :invoke, :f :start, :process :nemesis, :value nil}
            """);
        Assert.That(operations, Has.Count.EqualTo(2), "the nemesis's :start is no transaction");
        using (Assert.EnterMultipleScope())
        {
            Assert.That((operations[0].Function, operations[0].Time, operations[0].Index), Is.EqualTo(((string?)null, (long?)null, (long?)null)));
            Assert.That(operations[1].Value, Is.EqualTo(new MicroOp[] { new Append(new HistoryKey(":x"), 1), operations[1].Value[1] }));
            Assert.That(operations[1].Value[1].Key, Is.EqualTo(new HistoryKey("\"y\"")));
            Assert.That(((Read)operations[1].Value[1]).Values, Is.EqualTo(new[] { 7L, 8L }));
        }
    }

    [Test]
    public void What_Jepsen_writes_besides_transactions_is_read_and_left_alone()
    {
        // A nemesis's operation (string-keyed map, keyword process, a set, a tag, a float, a symbol, a discard) and an
        // :info whose exception data holds symbols; operations without :process pair in order, as Elle's own examples do.
        const string jepsen = """
            {:type :info, :f :partition, :value ["n1" #_ "discarded" {"n1" #{"n2" "n3" #_ "last"}}], :process :nemesis, :time 1.5e3, :at #inst "2026-12-02T10:00:00Z", #_ #_ :skipped 1}
            {:type :invoke, :f :txn, :value [[:append 1 1]], :process 0}
            {:type :info, :f :txn, :value [[:append 1 1]], :process 0, :exception {:via [{:type java.net.SocketTimeoutException, :message "Read timed out"}]}, :error [:timeout 2.5M 12345678901234567890N]}
            {:type :invoke, :value [[:r 1 nil]]}
            {:type :ok, :value [[:r 1 [1]]]}
            """;
        var operations = HistoryFormat.Parse(jepsen);
        var transactions = Transaction.Pair(operations);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(operations.Select(o => (o.Type, o.Process)), Is.EqualTo(new (OperationType, long?)[] { (OperationType.Invoke, 0), (OperationType.Info, 0), (OperationType.Invoke, null), (OperationType.Ok, null) }));
            Assert.That(transactions.Select(t => t.Outcome), Is.EqualTo(new[] { Outcome.Info, Outcome.Ok }));
            Assert.That(HistoryFormat.Format(operations[3]), Is.EqualTo("{:type :ok, :value [[:r 1 [1]]]}"), "no :process written where none was read");
            Assert.That(ListAppendChecker.Check(transactions).Kinds, Is.Empty, "the read proves the :info committed; nothing is wrong");
        }
    }

    [TestCase("{:type :invoke, [:append 1 2]}", "history.edn:1:17: expected a map key (keyword), got '['")]
    [TestCase("{:type :ok, :value [], :process 0}\n\n{:type :ok, :value [],\n   :process 0 :type}", "history.edn:4:20: expected a value for :type, got '}'")]
    [TestCase("{:type :launch, :value [], :process 0}", "history.edn:1:8: expected :type to be :invoke, :ok, :fail or :info, got :launch")]
    [TestCase("{:type :ok, :process 0}", "history.edn:1:1: expected the operation map to have :value")]
    [TestCase("{:type :ok, :value [[:append 1 x]], :process 0}", "history.edn:1:32: expected an appended value to be an integer, got x")]
    [TestCase("{:type :ok, :value [[:append 1 1.5]], :process 0}", "history.edn:1:32: expected an appended value to be an integer, got 1.5")]
    [TestCase("{:type :ok, :value [[:append 1 1.5x]], :process 0}", "history.edn:1:35: expected a number to end, got 'x'")]
    [TestCase("{:type :ok, :value [[:append 1 #]], :process 0}", "history.edn:1:33: expected a set '#{', a discard '#_' or a tag after '#', got ']'")]
    [TestCase("{:type :invoke, :value [], :process 0}\n{:type :invoke, :value []}\n{:type :invoke, :value []}", "history.edn:3:1: expected a completion for process nil's open invocation, got another :invoke")]
    [TestCase("{:type :ok, :value [[:write 1 2]], :process 0}", "history.edn:1:22: expected :append or :r, got :write")]
    [TestCase("{:type :ok, :value [[:r 1 7]], :process 0}", "history.edn:1:27: expected a read's list (a vector or nil), got 7")]
    [TestCase("{:type :ok, :value [[:append 1 2]], :process \"p\"}", "history.edn:1:46: expected :process to be an integer, got \"p\"")]
    [TestCase("{:type :ok, :value [", "history.edn:1:21: expected a value or ']', got the end of the file")]
    [TestCase("[1 2]", "history.edn:1:1: expected an operation map '{', got […]")]
    [TestCase("{:type :ok, :value [[:append 1 2]], :process 0}", "history.edn:1:1: expected an :invoke on process 0 before this :ok")]
    public void A_malformed_history_is_refused_with_its_line_column_and_what_was_expected(string text, string message)
    {
        var refused = Assert.Throws<HistoryFormatException>(() => Transaction.Pair(HistoryFormat.Parse(text)));
        Assert.That(refused.Message, Is.EqualTo(message));
    }

    [Test]
    public void A_history_file_is_named_in_the_message_with_the_line_and_column()
    {
        using var files = new TempFiles();
        var path = files.Write("run-7.edn", Elle.ReplaceLineEndings("\n") + "\n{:type :ok, :value [[:append 1 2] [:r 1 [2 }\n");
        var refused = Assert.Throws<HistoryFormatException>(() => HistoryFormat.ReadFile(path));
        Assert.That((refused.Message, refused.File, refused.Line, refused.Column),
            Is.EqualTo(("run-7.edn:7:44: expected a value or ']', got '}'", "run-7.edn", 7, 44)));
    }

    [Test]
    public void A_history_read_written_and_read_again_is_the_same()
    {
        var first = HistoryFormat.Parse(Elle);
        var written = HistoryFormat.Format(first);
        var again = HistoryFormat.Parse(written);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(written, Is.EqualTo(Elle.ReplaceLineEndings("\n") + "\n"), "written as Elle writes it");
            Assert.That(again.Select(o => (o.Type, o.Function, o.Process, o.Index, o.Time)), Is.EqualTo(first.Select(o => (o.Type, o.Function, o.Process, o.Index, o.Time))));
            Assert.That(again.Select(o => o.Value), Is.EqualTo(first.Select(o => o.Value)));
        }
    }

    [Test]
    public void String_and_keyword_keys_are_written_back_as_they_were_read()
    {
        const string Text = "{:type :invoke, :value [[:append \"a \\\"b\\\"\\n\" 1] [:r :k nil]], :process 0}\n";
        var operations = HistoryFormat.Parse(Text);
        Assert.That(HistoryFormat.Format(operations), Is.EqualTo(Text));
        Assert.That(operations[0].Value.Select(m => m.Key.Edn), Is.EqualTo(new[] { "\"a \\\"b\\\"\\n\"", ":k" }));
    }

    [Test]
    public void An_invocation_that_never_completed_is_an_unknown_outcome()
    {
        var transactions = Transaction.Pair(HistoryFormat.Parse("""
            {:type :invoke, :value [[:append 1 1]], :process 0, :index 0}
            {:type :invoke, :value [[:append 1 2]], :process 1, :index 1}
            {:type :ok, :value [[:append 1 2]], :process 1, :index 2}
            """));
        Assert.That(transactions.Select(t => (t.Name, t.Outcome)), Is.EqualTo(new[] { ("T0", Outcome.Info), ("T1", Outcome.Ok) }));
    }
}
