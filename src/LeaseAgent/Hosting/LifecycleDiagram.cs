using LeaseAgent.Leasing;

namespace LeaseAgent.Hosting;

/// <summary>
/// The lease state machine rendered from its live definition: <c>lease-agent graph</c> prints it and a test
/// keeps <c>docs/lease-lifecycle.md</c> equal to <see cref="Markdown"/>.
/// </summary>
public static class LifecycleDiagram
{

    public static string Dot() => Lease.ToDotGraph();

    public static string Mermaid() => Lease.ToMermaidGraph();

    public static string Markdown() =>
        $"""
        # The lease lifecycle

        Generated from the live `StateMachine` in `src/LeaseAgent/Leasing/Lease.cs` by `lease-agent graph --format markdown`;
        `LifecycleDiagramTests` fails when this file and the code disagree. Regenerate with:

            lease-agent graph --format markdown > docs/lease-lifecycle.md

        ```mermaid
        {Mermaid().Trim()}
        ```

        Graphviz (`lease-agent graph --format dot`):

        ```dot
        {Dot().Trim()}
        ```

        """;
}
