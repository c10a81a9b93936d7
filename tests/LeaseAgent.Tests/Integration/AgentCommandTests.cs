using LeaseAgent.Hosting;
using LeaseAgent.Testing;

namespace LeaseAgent.Tests.Integration;

/// <summary>The binary's non-lifecycle commands.</summary>
public sealed class AgentCommandTests
{
    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(30);

    private static async Task<(int ExitCode, string Output)> RunAsync(params string[] args)
    {
        await using var agent = AgentProcess.Start(await AgentScenario.BinaryAsync(), new Dictionary<string, string>(), args);
        var exitCode = await agent.WaitForExitAsync(Generous);
        return (exitCode, agent.Output);
    }

    [Fact]
    public async Task Graph_PrintsTheLiveMachine()
    {
        var (exitCode, output) = await RunAsync("graph", "--format", "mermaid");

        Assert.Equal(0, exitCode);
        Assert.Equal(LifecycleDiagram.Mermaid().Trim(), output.Trim());
    }

    [Fact]
    public async Task Version_NamesVersionCommitAndAot()
    {
        var (exitCode, output) = await RunAsync("version");

        Assert.Equal(0, exitCode);
        Assert.StartsWith("lease-agent ", output, StringComparison.Ordinal);
        Assert.Contains("aot: True", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UnknownCommand_ExitsTwo()
    {
        var (exitCode, output) = await RunAsync("frobnicate");

        Assert.Equal(2, exitCode);
        Assert.Contains("unknown command 'frobnicate'", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_TokenAsAFlag_ExitsTwo_SayingItIsNotAcceptedAsAFlag()
    {
        var (exitCode, output) = await RunAsync("run", "--scaivault-token", "not-a-real-token");

        Assert.Equal(2, exitCode);
        Assert.Contains("SCAIVAULT_TOKEN: is not accepted as a flag", output, StringComparison.Ordinal);
        Assert.DoesNotContain("not-a-real-token", output, StringComparison.Ordinal);
    }
}
