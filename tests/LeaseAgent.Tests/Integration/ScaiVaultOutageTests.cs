using System.Text.Json.Nodes;
using LeaseAgent.Testing;

namespace LeaseAgent.Tests.Integration;

/// <summary>reliability.md's ScaiVault rows: down at start, down during the lease, the user dropped out of band.</summary>
public sealed class ScaiVaultOutageTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(40);

    private static async Task<JsonNode> StatusAsync(AgentScenario scenario) =>
        JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(scenario.Directory, ".lease-agent", "status.json")))!;

    [Fact]
    public async Task OutageOverTheRenewal_CredentialStaysPublishedAndLogsIn()
    {
        // A 40 s lease renews at 24–29 s: ScaiVault is down from the first publish until a renewal has failed and
        // 3 s more, and back at least 7 s before the lease would expire.
        await using var scenario = await AgentScenario.StartAsync(defaultTtl: "40s", maxTtl: "300s");
        var (agent, _) = await scenario.StartAgentAsync();
        var published = await scenario.WaitForCredentialAsync(_ => true, Generous, "the first credential");
        await scenario.Emulator.SetFaultAsync(new { route = "*", status = 503, rate = 1.0 });

        var loginsDuringOutage = 0;
        async Task<bool> StillServingAsync()
        {
            var document = await AgentScenario.ReadJsonFileAsync(scenario.OutputFile);
            Assert.Equal(published["lease_id"]!.GetValue<string>(), document["lease_id"]!.GetValue<string>());
            Assert.Equal(10L, (await AgentScenario.QueryAsAsync(document)).Rows);
            loginsDuringOutage++;
            await Task.Delay(450); // pace the logins: a dozen a second tell as much as a hundred
            return true;
        }

        // A failed renewal is logged, retried, and reported as degraded while the credential stays published.
        await Eventually.TrueAsync(
            async () => await StillServingAsync() && agent.Output.Contains("Renewal of lease", StringComparison.Ordinal) && (await StatusAsync(scenario))["degraded"]!.GetValue<bool>(),
            Generous,
            "a failed renewal, reported as degraded",
            () => agent.Output);
        var afterFailure = System.Diagnostics.Stopwatch.StartNew();
        await Eventually.TrueAsync(async () => await StillServingAsync() && afterFailure.Elapsed > TimeSpan.FromSeconds(3), Generous, "3 s more of the outage");
        await scenario.Emulator.ClearFaultsAsync();

        await Eventually.TrueAsync(async () => (await StatusAsync(scenario))["degraded"]!.GetValue<bool>() == false, Generous, "recovery from degraded");
        var after = await AgentScenario.ReadJsonFileAsync(scenario.OutputFile);
        Assert.Equal(published["lease_id"]!.GetValue<string>(), after["lease_id"]!.GetValue<string>());
        Assert.Equal(10L, (await AgentScenario.QueryAsAsync(after)).Rows);
        Assert.True(loginsDuringOutage >= 10, $"only {loginsDuringOutage} logins during the outage");
        output.WriteLine($"outage over the renewal of a 40 s lease: {loginsDuringOutage} successful logins with the published credential during the outage, same lease before and after");
    }

    [Fact]
    public async Task DownAtStart_FailsClosed_ThenPublishesWhenItReturns()
    {
        await using var scenario = await AgentScenario.StartAsync(defaultTtl: "30s", maxTtl: "120s");
        await scenario.Emulator.SetFaultAsync(new { route = "generate", status = 503, rate = 1.0 });
        var (agent, _) = await scenario.StartAgentAsync();

        await Eventually.TrueAsync(() => agent.Output.Contains("Could not acquire a lease", StringComparison.Ordinal), Generous, "a failed acquisition");
        Assert.False(File.Exists(scenario.OutputFile));
        Assert.False((await StatusAsync(scenario))["ready"]!.GetValue<bool>());

        await scenario.Emulator.ClearFaultsAsync();
        await scenario.WaitForCredentialAsync(_ => true, Generous, "a credential once ScaiVault is back");
        await Eventually.TrueAsync(async () => (await StatusAsync(scenario))["ready"]!.GetValue<bool>(), Generous, "ready");
    }

    [Fact]
    public async Task DownAtStart_WithFailOpen_IsReadyWithoutACredential()
    {
        await using var scenario = await AgentScenario.StartAsync(defaultTtl: "30s", maxTtl: "120s");
        scenario.Environment["FAIL_OPEN"] = "true";
        await scenario.Emulator.SetFaultAsync(new { route = "generate", status = 503, rate = 1.0 });
        var (agent, _) = await scenario.StartAgentAsync();

        await Eventually.TrueAsync(async () => File.Exists(Path.Combine(scenario.Directory, ".lease-agent", "status.json")) && (await StatusAsync(scenario))["ready"]!.GetValue<bool>(), Generous, "ready without a credential");
        Assert.False(File.Exists(scenario.OutputFile));

        await scenario.Emulator.ClearFaultsAsync();
        await scenario.WaitForCredentialAsync(_ => true, Generous, "a credential once ScaiVault is back");
    }

    [Fact]
    public async Task UserDroppedOutOfBand_NewCredentialWithinOneRenewInterval()
    {
        await using var scenario = await AgentScenario.StartAsync(defaultTtl: "6s", maxTtl: "120s");
        var (agent, _) = await scenario.StartAgentAsync();
        var first = await scenario.WaitForCredentialAsync(_ => true, Generous, "the first credential");
        var user = first["username"]!.GetValue<string>();

        await TestPostgres.ScalarAsync<object>(scenario.Emulator.Role.Engine.Database, $"DROP OWNED BY \"{user}\"; DROP ROLE \"{user}\"");
        var dropped = System.Diagnostics.Stopwatch.StartNew();

        var second = await scenario.WaitForCredentialAsync(d => d["generation"]!.GetValue<int>() == 2, Generous, "a replacement credential");
        Assert.True(dropped.Elapsed < TimeSpan.FromSeconds(6), $"replacement took {dropped.Elapsed.TotalSeconds:0.0} s, more than one renew interval");
        output.WriteLine($"user dropped out of band → replacement published in {dropped.Elapsed.TotalMilliseconds:0} ms (renew interval ~4 s)");
        Assert.Equal(10L, (await AgentScenario.QueryAsAsync(second)).Rows);
        await Eventually.ReturnsAsync(scenario.Emulator.ActiveLeasesAsync, leases => leases.Count == 1, Generous, "the dead lease gone from the emulator");
    }
}
