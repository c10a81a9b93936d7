using Xunit.Abstractions;
using Xunit.Sdk;

namespace LeaseAgent.ChaosTests.Harness;

/// <summary>Marks a test's place in the chaos run: scenarios in order, the log scan and the summary last.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class ScenarioAttribute(int order) : Attribute
{
    public int Order { get; } = order;
}

/// <summary>Runs the tests of the chaos suite in their <see cref="ScenarioAttribute"/> order.</summary>
public sealed class ScenarioOrderer : ITestCaseOrderer
{
    public const string TypeName = "LeaseAgent.ChaosTests.Harness.ScenarioOrderer";
    public const string AssemblyName = "LeaseAgent.ChaosTests";

    public IEnumerable<TTestCase> OrderTestCases<TTestCase>(IEnumerable<TTestCase> testCases)
        where TTestCase : ITestCase =>
        testCases.OrderBy(testCase => Order(testCase));

    private static int Order(ITestCase testCase) =>
        testCase.TestMethod.Method.GetCustomAttributes(typeof(ScenarioAttribute).AssemblyQualifiedName).FirstOrDefault()?.GetConstructorArguments().First() is int order
            ? order
            : int.MaxValue;
}
