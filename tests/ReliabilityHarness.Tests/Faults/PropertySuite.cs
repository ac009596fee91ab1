using System.Collections;
using System.Reflection;
using NUnit.Framework.Interfaces;
using NUnit.Framework.Internal;

namespace ReliabilityHarness.Tests.Faults;

/// <summary>What one test of a property suite did under a seeded flaw.</summary>
/// <param name="Test">The test as NUnit names it: <c>CrashRollbackTests.Robust_crash_leaves_the_table_exactly_as_it_was(3)</c>.</param>
/// <param name="Verdict">Passed, red (an assertion failed or the test threw) or not run (it ignored itself).</param>
/// <param name="Message">Why it was red or not run: the first line of the assertion or the exception.</param>
public sealed record PropertyOutcome(string Test, Verdict Verdict, string? Message);

public enum Verdict
{
    Passed,
    Red,
    NotRun,
}

/// <summary>
/// Runs the tests of one property suite (an NUnit fixture of this assembly) in-process, the way NUnit would:
/// one-time set-up, each test case (<c>[Test]</c>, <c>[TestCase]</c>, <c>[TestCaseSource]</c>) with its set-up and
/// tear-down, then the one-time tear-down; each test in an isolated NUnit context, so a red one is recorded here
/// and not as a failure of the test that runs the suite. The fault catalogue runs the suites this way with a flaw
/// seeded, so every suite is the very one the ordinary run uses. (A suite whose subject is another process, such as
/// the CLI killed, is not one to run so: a flaw seeded in this process does not reach it.)
/// </summary>
public static class PropertySuite
{
    /// <summary>The longest one test may take under a flaw; longer is red (a hang is a failure too).</summary>
    public static readonly TimeSpan TestTimeout = TimeSpan.FromSeconds(90);

    /// <param name="untilRed">Stop at the first red test (enough to know a flaw is caught; the full page runs them all).</param>
    public static async Task<IReadOnlyList<PropertyOutcome>> RunAsync(Type suite, Provider? provider, bool untilRed = false)
    {
        ArgumentNullException.ThrowIfNull(suite);
        var fixture = provider is null ? Activator.CreateInstance(suite)! : Activator.CreateInstance(suite, provider)!;
        var outcomes = new List<PropertyOutcome>();
        var setUpFailure = await InvokeAllAsync<OneTimeSetUpAttribute>(fixture);
        foreach (var (method, arguments, name) in Cases(suite))
        {
            var test = $"{suite.Name}.{name}";
            if (setUpFailure is not null)
            {
                outcomes.Add(new(test, setUpFailure.Value.Verdict, setUpFailure.Value.Message));
                continue;
            }

            outcomes.Add(await RunOneAsync(fixture, method, arguments, test));
            if (untilRed && outcomes[^1].Verdict == Verdict.Red)
            {
                break;
            }
        }

        await InvokeAllAsync<OneTimeTearDownAttribute>(fixture);
        if (fixture is IDisposable disposable)
        {
            disposable.Dispose();
        }

        return outcomes;
    }

    private static async Task<PropertyOutcome> RunOneAsync(object fixture, MethodInfo method, object?[] arguments, string test)
    {
        using var isolated = new TestExecutionContext.IsolatedContext();
        var failure = await InvokeAllAsync<SetUpAttribute>(fixture)
            ?? await InvokeAsync(fixture, method, Convert(method, arguments));
        var tearDown = await InvokeAllAsync<TearDownAttribute>(fixture);
        failure ??= tearDown;

        // An assertion inside Assert.EnterMultipleScope is recorded before the scope throws (its message is only
        // "multiple failures"): the first recorded one says what failed. One recorded without a throw is red too.
        var recorded = TestExecutionContext.CurrentContext.CurrentResult.AssertionResults
            .FirstOrDefault(a => a.Status is AssertionStatus.Failed or AssertionStatus.Error);
        if (recorded is not null && failure is null or { Verdict: Verdict.Red })
        {
            failure = (Verdict.Red, FirstLine(recorded.Message));
        }

        return failure is { } f ? new(test, f.Verdict, f.Message) : new(test, Verdict.Passed, null);
    }

    /// <summary>Every method of the fixture (base classes first) with the attribute, in order; the first failure, if any.</summary>
    private static async Task<(Verdict Verdict, string? Message)?> InvokeAllAsync<TAttribute>(object fixture)
        where TAttribute : Attribute
    {
        var chain = new List<Type>();
        for (var type = fixture.GetType(); type is not null && type != typeof(object); type = type.BaseType)
        {
            chain.Insert(0, type);
        }

        foreach (var method in chain.SelectMany(t => t.GetMethods(BindingFlags.Instance | BindingFlags.Public | BindingFlags.DeclaredOnly))
                     .Where(m => m.GetCustomAttribute<TAttribute>() is not null))
        {
            if (await InvokeAsync(fixture, method, []) is { } failure)
            {
                return failure;
            }
        }

        return null;
    }

    private static async Task<(Verdict Verdict, string? Message)?> InvokeAsync(object fixture, MethodInfo method, object?[] arguments)
    {
        try
        {
            if (method.Invoke(fixture, arguments) is Task task)
            {
                await task.WaitAsync(TestTimeout);
            }

            return null;
        }
        catch (Exception e)
        {
            var thrown = e is TargetInvocationException { InnerException: { } inner } ? inner : e;
            return thrown switch
            {
                IgnoreException or InconclusiveException => (Verdict.NotRun, FirstLine(thrown.Message)),
                SuccessException => null,
                TimeoutException => (Verdict.Red, $"did not finish within {TestTimeout.TotalSeconds:0} s"),
                _ => (Verdict.Red, FirstLine($"{(thrown is ResultStateException ? string.Empty : thrown.GetType().Name + ": ")}{thrown.Message}")),
            };
        }
    }

    /// <summary>The suite's test cases as NUnit would make them, named as NUnit names them.</summary>
    private static IEnumerable<(MethodInfo Method, object?[] Arguments, string Name)> Cases(Type suite)
    {
        foreach (var method in suite.GetMethods(BindingFlags.Instance | BindingFlags.Public).Where(IsIncluded))
        {
            if (method.GetCustomAttribute<TestAttribute>() is not null)
            {
                yield return (method, [], method.Name);
            }

            foreach (var testCase in method.GetCustomAttributes<TestCaseAttribute>())
            {
                yield return (method, testCase.Arguments, Name(method, testCase.Arguments, testCase.TestName));
            }

            foreach (var source in method.GetCustomAttributes<TestCaseSourceAttribute>())
            {
                foreach (var item in Source(source.SourceType ?? suite, source.SourceName!))
                {
                    var (arguments, testName) = item switch
                    {
                        TestCaseData data => (data.Arguments, data.TestName),
                        object?[] array when method.GetParameters().Length != 1 || method.GetParameters()[0].ParameterType != typeof(object[]) => (array, null),
                        _ => (new[] { item }, (string?)null),
                    };
                    yield return (method, arguments, Name(method, arguments, testName));
                }
            }
        }
    }

    /// <summary>Arguments converted to the parameters' types, as NUnit converts them (a TestCase's 7 for a decimal).</summary>
    private static object?[] Convert(MethodInfo method, object?[] arguments) =>
        method.GetParameters().Zip(arguments, (parameter, argument) =>
            argument is IConvertible && argument.GetType() != parameter.ParameterType && !parameter.ParameterType.IsInstanceOfType(argument)
                ? System.Convert.ChangeType(argument, Nullable.GetUnderlyingType(parameter.ParameterType) ?? parameter.ParameterType, System.Globalization.CultureInfo.InvariantCulture)
                : argument).ToArray();

    private static bool IsIncluded(MethodInfo method) =>
        method.GetCustomAttribute<IgnoreAttribute>() is null
        && method.GetCustomAttribute<ExplicitAttribute>() is null;

    private static IEnumerable Source(Type type, string name)
    {
        const BindingFlags Static = BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.FlattenHierarchy;
        var value = type.GetField(name, Static)?.GetValue(null)
            ?? type.GetProperty(name, Static)?.GetValue(null)
            ?? type.GetMethod(name, Static, [])?.Invoke(null, null);
        return value as IEnumerable ?? throw new InvalidOperationException($"{type.Name}.{name} is not a test case source this runner reads");
    }

    private static string Name(MethodInfo method, object?[] arguments, string? testName) =>
        testName?.Replace("{m}", method.Name, StringComparison.Ordinal)
        ?? $"{method.Name}({string.Join(",", arguments.Select(Display))})";

    private static string Display(object? argument) => argument switch
    {
        null => "null",
        string text => $"\"{text}\"",
        IFormattable formattable => formattable.ToString(null, System.Globalization.CultureInfo.InvariantCulture),
        _ => argument.ToString() ?? string.Empty,
    };

    private static string? FirstLine(string? text) => text?.Trim().Split('\n', 2)[0].Trim();
}

/// <summary>Test categories this suite uses.</summary>
public static class Categories
{
    /// <summary>The fault catalogue: <c>dotnet test --filter Category=Faults</c>.</summary>
    public const string Faults = "Faults";
}
