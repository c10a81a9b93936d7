using LeaseAgent.Hosting;
using LeaseAgent.Testing;

namespace LeaseAgent.Tests.Hosting;

public sealed class LifecycleDiagramTests
{
    [Fact]
    public void CommittedDiagram_EqualsTheLiveStateMachine()
    {
        var path = Path.Combine(RepositoryRoot.Path, "docs", "lease-lifecycle.md");

        var committed = File.ReadAllText(path);

        Assert.True(
            committed == LifecycleDiagram.Markdown(),
            "docs/lease-lifecycle.md is out of date; regenerate it with: lease-agent graph --format markdown > docs/lease-lifecycle.md");
    }

    [Fact]
    public void Graphs_NameEveryState()
    {
        var mermaid = LifecycleDiagram.Mermaid();
        var dot = LifecycleDiagram.Dot();

        foreach (var state in Enum.GetNames<LeaseAgent.Leasing.LeaseState>())
        {
            Assert.Contains(state, mermaid, StringComparison.Ordinal);
            Assert.Contains(state, dot, StringComparison.Ordinal);
        }
    }
}
