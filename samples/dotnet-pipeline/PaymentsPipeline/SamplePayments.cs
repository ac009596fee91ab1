using System.Globalization;

namespace PaymentsPipeline;

/// <summary>The day's payments: the same 300 every time (no clock, no random), so two runs load the same rows.</summary>
public static class SamplePayments
{
    public const int Count = 300;

    private static readonly string[] Currencies = ["EUR", "USD", "GBP", "CHF"];

    public static IReadOnlyList<Payment> All { get; } = Enumerable.Range(1, Count).Select(Create).ToList();

    private static Payment Create(int n) => new(
        PaymentId: $"pay-{n:D5}",
        CustomerId: string.Create(CultureInfo.InvariantCulture, $"cust-{n * 37 % 53:D3}"),
        // Cents from 1.00 to 9999.99, spread by a prime step; decimal arithmetic, so exactly two places.
        Amount: 1.00m + n * 7919 % 999_900 / 100m,
        Currency: Currencies[n % Currencies.Length],
        BookedOn: new DateOnly(2025, 6, 1).AddDays(n % 30));
}
