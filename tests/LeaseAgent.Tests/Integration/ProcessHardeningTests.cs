using LeaseAgent.Testing;

namespace LeaseAgent.Tests.Integration;

/// <summary>
/// Finding 1: the agent is non-dumpable from the start of Main, so a process of the same non-root uid (the app in a
/// shared process namespace) cannot read the agent's <c>/proc/&lt;pid&gt;/environ</c>, or its ScaiVault token file
/// through <c>/proc/&lt;pid&gt;/root</c>.
/// </summary>
public sealed class ProcessHardeningTests
{
    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Run_AsANonRootUid_ItsEnvironAndTokenAreUnreadableToAnotherProcessOfThatUid()
    {
        await using var scenario = await AgentScenario.StartAsync();
        var agent = await scenario.StartAgentAsNobodyAsync("run");
        await scenario.WaitForCredentialAsync(_ => true, Generous, "the agent (as nobody) published a credential");

        await AssertUnreadableAsync(agent, $"/proc/{agent.Pid}/environ");
        await AssertUnreadableAsync(agent, $"/proc/{agent.Pid}/root{scenario.TokenFile}");
        var (exitCode, _) = await AgentScenario.RunAsNobodyAsync("cat", scenario.TokenFile);
        Assert.True(exitCode == 0, "the token file itself stays readable to its uid: the test would prove nothing otherwise");
    }

    [Fact]
    public async Task Init_AsANonRootUid_ItsEnvironIsUnreadableToAnotherProcessOfThatUid()
    {
        await using var scenario = await AgentScenario.StartAsync();
        scenario.Environment["SCAIVAULT_URL"] = "http://127.0.0.1:1"; // refused: init keeps retrying, so there is time to look
        var agent = await scenario.StartAgentAsNobodyAsync("init");
        await Eventually.TrueAsync(() => agent.Lines.Count > 0 || agent.HasExited, Generous, "init (as nobody) logged its first line");
        Assert.False(agent.HasExited, agent.Output);

        await AssertUnreadableAsync(agent, $"/proc/{agent.Pid}/environ");
    }

    private static async Task AssertUnreadableAsync(AgentProcess agent, string path)
    {
        var (exitCode, output) = await AgentScenario.RunAsNobodyAsync("cat", path);
        Assert.False(agent.HasExited, agent.Output);
        Assert.True(exitCode != 0, $"another uid-65534 process read {path}");
        Assert.Contains("Permission denied", output, StringComparison.Ordinal);
    }
}
