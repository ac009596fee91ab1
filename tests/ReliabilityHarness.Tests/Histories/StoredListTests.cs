using ReliabilityHarness.Histories;

namespace ReliabilityHarness.Tests.Histories;

/// <summary>How the workload reads a list back from its text column: every append adds ",value", the key starts empty.</summary>
public sealed class StoredListTests
{
    [TestCase("", new long[0])]
    [TestCase(",3", new long[] { 3 })]
    [TestCase(",3,7,12", new long[] { 3, 7, 12 })]
    public void A_stored_list_reads_back_as_its_values_in_order(string stored, long[] expected) =>
        Assert.That(ListAppendWorkload.ParseList(stored), Is.EqualTo(expected));

    [Test]
    public void A_stored_list_that_is_not_values_is_refused() =>
        Assert.That(() => ListAppendWorkload.ParseList(",3,x"), Throws.TypeOf<FormatException>());
}
