using System.Text.Json.Nodes;
using LeaseAgent.Testing;

namespace LeaseAgent.Tests.Integration;

/// <summary>The agent binary against the emulator when something is wrong: the probe, or the lease itself.</summary>
public sealed class AgentFaultTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task ProbeQueryFails_NothingIsPublished_AndEveryMintedUserIsRevoked()
    {
        await using var scenario = await AgentScenario.StartAsync(defaultTtl: "30s", maxTtl: "60s");
        scenario.Environment["DB_PROBE_QUERY"] = "SELECT * FROM no_such_table";
        var (agent, _) = await scenario.StartAgentAsync();
        await using var __ = agent;

        // The first failing probe is logged, then the lease it probed is revoked.
        await Eventually.TrueAsync(() => agent.Output.Contains("QueryFailed", StringComparison.Ordinal), Generous, "a failed probe");
        await Eventually.TrueAsync(() => agent.Output.Contains("Revoked lease", StringComparison.Ordinal), Generous, "the unprobed lease revoked");
        Assert.False(File.Exists(scenario.OutputFile), "an unprobed credential was published");
        var status = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(scenario.Directory, ".lease-agent", "status.json")))!;
        Assert.False(status["ready"]!.GetValue<bool>());
        Assert.Equal("probe_failed", status["last_error"]!.GetValue<string>());

        agent.Terminate();
        Assert.Equal(0, await agent.WaitForExitAsync(Generous));
        Assert.False(File.Exists(scenario.OutputFile));
        Assert.Empty(await scenario.Emulator.LeaseUsersAsync());
        Assert.Empty(await scenario.Emulator.ActiveLeasesAsync());
        AgentScenario.AssertNoSecretsIn(agent);
    }

    [Fact]
    public async Task LeaseRevokedOutOfBand_NewLeasePublishedWithinOneRenewInterval()
    {
        await using var scenario = await AgentScenario.StartAsync(defaultTtl: "6s", maxTtl: "60s");
        var (agent, _) = await scenario.StartAgentAsync();
        await using var __ = agent;
        var first = await scenario.WaitForCredentialAsync(_ => true, Generous, "the first credential");

        await scenario.Emulator.RevokeAsync(first["lease_id"]!.GetValue<string>());
        var revokedAt = System.Diagnostics.Stopwatch.StartNew();

        var second = await scenario.WaitForCredentialAsync(d => d["generation"]!.GetValue<int>() == 2, Generous, "a replacement credential");
        Assert.True(revokedAt.Elapsed < TimeSpan.FromSeconds(6), $"replacement took {revokedAt.Elapsed.TotalSeconds:0.0} s, more than one renew interval");
        output.WriteLine($"lease revoked out of band → replacement published in {revokedAt.Elapsed.TotalMilliseconds:0} ms (renew interval ~4 s)");
        Assert.NotEqual(first["username"]!.GetValue<string>(), second["username"]!.GetValue<string>());
        Assert.Equal(10L, (await AgentScenario.QueryAsAsync(second)).Rows);
        Assert.Contains("is lost", agent.Output, StringComparison.Ordinal);

        agent.Terminate();
        Assert.Equal(0, await agent.WaitForExitAsync(Generous));
        Assert.Empty(await scenario.Emulator.LeaseUsersAsync());
        Assert.Empty(await scenario.Emulator.ActiveLeasesAsync());
        AgentScenario.AssertNoSecretsIn(agent);
    }

    [Fact]
    public async Task SigtermWhileScaiVaultIsSlow_StillRevokesTheLeaseBeingGenerated()
    {
        await using var scenario = await AgentScenario.StartAsync(defaultTtl: "30s", maxTtl: "60s");
        await scenario.Emulator.SetFaultAsync(new { route = "generate", latency_ms = 1500, rate = 1.0 });
        var (agent, _) = await scenario.StartAgentAsync();
        await using var __ = agent;

        await Eventually.TrueAsync(() => agent.Output.Contains("Pending -> Generating", StringComparison.Ordinal), Generous, "a generate in flight");
        agent.Terminate();

        Assert.Equal(0, await agent.WaitForExitAsync(Generous));
        Assert.Contains("Revoked lease", agent.Output, StringComparison.Ordinal); // the late grant was revoked
        Assert.False(File.Exists(scenario.OutputFile));
        Assert.Empty(await scenario.Emulator.LeaseUsersAsync());
        Assert.Empty(await scenario.Emulator.ActiveLeasesAsync());
    }

    [Fact]
    public async Task GenerateAnswersDropped_EveryLeaseMintedMeanwhileIsRevoked_OnlyThePublishedOneStaysActive()
    {
        // TTLs far beyond the test: a lease the agent fails to revoke stays active rather than expiring unseen.
        await using var scenario = await AgentScenario.StartAsync(defaultTtl: "10m", maxTtl: "20m");
        // The emulator mints the lease, then drops the connection: four generate requests (the first attempt and
        // Polly's retries, all under one client_ref) reach the server, and the agent sees none of their answers.
        await scenario.Emulator.SetFaultAsync(new { route = "generate", after = true, drop = true, count = 4 });
        var (agent, _) = await scenario.StartAgentAsync();
        await using var __ = agent;

        var published = await scenario.WaitForCredentialAsync(_ => true, Generous, "a credential after the dropped answers");
        var leaseId = published["lease_id"]!.GetValue<string>();
        await Eventually.ReturnsAsync(
            async () => (await scenario.Emulator.ActiveLeasesAsync()).Count,
            count => count == 1,
            Generous,
            "one active lease: the published one",
            () => agent.Output);
        Assert.Equal(leaseId, Assert.Single(await scenario.Emulator.ActiveLeasesAsync())["lease_id"]!.GetValue<string>());
        Assert.Equal([published["username"]!.GetValue<string>()], await scenario.Emulator.LeaseUsersAsync());
        Assert.Contains("may have minted a lease nobody was told about", agent.Output, StringComparison.Ordinal);

        agent.Terminate();
        Assert.Equal(0, await agent.WaitForExitAsync(Generous));
        Assert.Empty(await scenario.Emulator.ActiveLeasesAsync());
        Assert.Empty(await scenario.Emulator.LeaseUsersAsync());
    }
}
