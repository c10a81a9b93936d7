using Xunit.Abstractions;

namespace LeaseAgent.Tests.Integration;

/// <summary>
/// The published Native AOT binary as a process, through the whole lifecycle the issue asks for: publish →
/// login with the published credential → renew → rotate → SIGTERM → no lease user, no active lease.
/// </summary>
public sealed class AotAgentLifecycleTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task PublishedBinary_PublishesRenewsRotatesAndRevokesOnSigterm()
    {
        await using var scenario = await AgentScenario.StartAsync(defaultTtl: "4s", maxTtl: "12s");
        var (agent, clock) = await scenario.StartAgentAsync();
        await using var _ = agent;

        var first = await scenario.WaitForCredentialAsync(_ => true, Generous, "the first credential");
        var timeToFirstCredential = clock.Elapsed;
        Assert.Equal(1, first["generation"]!.GetValue<int>());
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(scenario.OutputFile));
        var firstUser = first["username"]!.GetValue<string>();
        Assert.Equal((firstUser, 10L), await AgentScenario.QueryAsAsync(first));

        await Testing.Eventually.TrueAsync(() => agent.Output.Contains("Renewed lease", StringComparison.Ordinal), Generous, "a renewal");

        var second = await scenario.WaitForCredentialAsync(d => d["generation"]!.GetValue<int>() >= 2, Generous, "a rotation to generation 2");
        var secondUser = second["username"]!.GetValue<string>();
        Assert.NotEqual(firstUser, secondUser);
        Assert.Equal((secondUser, 10L), await AgentScenario.QueryAsAsync(second));
        await Testing.Eventually.ReturnsAsync(scenario.Emulator.LeaseUsersAsync, users => !users.Contains(firstUser), Generous, "the first user to be dropped after draining");

        var stopClock = System.Diagnostics.Stopwatch.StartNew();
        agent.Terminate();
        var exitCode = await agent.WaitForExitAsync(Generous);
        var shutdownTime = stopClock.Elapsed;

        Assert.True(exitCode == 0, $"exit code {exitCode}; output:\n{agent.Output}");
        Assert.False(File.Exists(scenario.OutputFile));
        Assert.Empty(await scenario.Emulator.LeaseUsersAsync());
        Assert.Empty(await scenario.Emulator.ActiveLeasesAsync());
        AgentScenario.AssertNoSecretsIn(agent);

        output.WriteLine($"time to first credential: {timeToFirstCredential.TotalMilliseconds:0} ms (process start → file present)");
        output.WriteLine($"SIGTERM → exit: {shutdownTime.TotalMilliseconds:0} ms");
    }

    [Fact]
    public async Task PublishedBinary_BadLeaseTtl_ExitsTwoNamingTheVariable()
    {
        await using var scenario = await AgentScenario.StartAsync();
        scenario.Environment["LEASE_TTL"] = "forever";

        var (agent, _) = await scenario.StartAgentAsync();
        await using var __ = agent;
        var exitCode = await agent.WaitForExitAsync(Generous);

        Assert.Equal(2, exitCode);
        var line = Assert.Single(agent.Lines);
        Assert.StartsWith("lease-agent: LEASE_TTL: 'forever'", line, StringComparison.Ordinal);
        Assert.False(File.Exists(scenario.OutputFile));
        Assert.Empty(await scenario.Emulator.ActiveLeasesAsync());
    }
}
