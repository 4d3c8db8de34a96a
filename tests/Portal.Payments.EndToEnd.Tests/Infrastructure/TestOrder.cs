using Xunit.Abstractions;
using Xunit.Sdk;

namespace Portal.Payments.EndToEnd.Tests.Infrastructure;

/// <summary>The place of a test in its class when the class uses <see cref="TestOrderer"/> (lowest first).</summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false)]
public sealed class TestOrderAttribute(int order) : Attribute
{
    /// <summary>Lower runs earlier; tests without the attribute run last, by name.</summary>
    public int Order { get; } = order;
}

/// <summary>
/// Runs the tests of a class by <see cref="TestOrderAttribute"/>, then by name. Use it when a later test
/// checks what earlier ones left behind: <c>[TestCaseOrderer(TestOrderer.TypeName, TestOrderer.AssemblyName)]</c>.
/// (xunit 2 orders test cases within a class only; the classes of one collection keep discovery order.)
/// </summary>
public sealed class TestOrderer : ITestCaseOrderer
{
    /// <summary>Full name of this type, for <see cref="TestCaseOrdererAttribute"/>.</summary>
    public const string TypeName = "Portal.Payments.EndToEnd.Tests.Infrastructure.TestOrderer";

    /// <summary>Assembly of this type, for <see cref="TestCaseOrdererAttribute"/>.</summary>
    public const string AssemblyName = "Portal.Payments.EndToEnd.Tests";

    /// <inheritdoc />
    public IEnumerable<TTestCase> OrderTestCases<TTestCase>(IEnumerable<TTestCase> testCases) where TTestCase : ITestCase =>
        testCases.OrderBy(t => OrderOf(t)).ThenBy(t => t.TestMethod.Method.Name, StringComparer.Ordinal);

    private static int OrderOf(ITestCase testCase) =>
        testCase.TestMethod.Method.GetCustomAttributes(typeof(TestOrderAttribute).AssemblyQualifiedName!).FirstOrDefault() is { } attribute
            ? attribute.GetConstructorArguments().OfType<int>().First()
            : int.MaxValue;
}
