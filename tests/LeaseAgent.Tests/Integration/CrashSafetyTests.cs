using LeaseAgent.Testing;

namespace LeaseAgent.Tests.Integration;

/// <summary>
/// reliability.md's crash rows against the real binary: SIGKILL and restart on the same volume, a second
/// agent on the volume, a crash in the middle of a generate. Invariants: one lease user per live agent (I1),
/// the emulator's active leases agree (I5), no secret in any log (I4, checked on dispose).
/// </summary>
public sealed class CrashSafetyTests
{
    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task KillThenRestartOnSameVolume_AdoptsTheSameUser_AndRepublishesTheMissingFile()
    {
        await using var scenario = await AgentScenario.StartAsync(defaultTtl: "30s", maxTtl: "120s");
        var (first, _) = await scenario.StartAgentAsync();
        var published = await scenario.WaitForCredentialAsync(_ => true, Generous, "the first credential");
        var user = published["username"]!.GetValue<string>();

        first.Kill();
        await first.WaitForExitAsync(Generous);
        File.Delete(scenario.OutputFile); // the app's view is gone too: the restarted agent must republish

        var (second, _) = await scenario.StartAgentAsync();
        var adopted = await scenario.WaitForCredentialAsync(_ => true, Generous, "the adopted credential");

        Assert.Equal(user, adopted["username"]!.GetValue<string>());
        Assert.Equal(published["lease_id"]!.GetValue<string>(), adopted["lease_id"]!.GetValue<string>());
        Assert.Equal(1, adopted["generation"]!.GetValue<int>());
        Assert.Equal([user], await scenario.Emulator.LeaseUsersAsync());
        Assert.Single(await scenario.Emulator.ActiveLeasesAsync());
        Assert.Equal((user, 10L), await AgentScenario.QueryAsAsync(adopted));
        Assert.Contains("Adopting -> Probing", second.Output, StringComparison.Ordinal);

        second.Terminate();
        Assert.Equal(0, await second.WaitForExitAsync(Generous));
        Assert.Empty(await scenario.Emulator.LeaseUsersAsync());
        Assert.Empty(await scenario.Emulator.ActiveLeasesAsync());
        Assert.False(File.Exists(Path.Combine(scenario.Directory, ".lease-agent", "journal.json")), "a clean shutdown leaves no journal");
    }

    [Fact]
    public async Task Start_RemovesTheTempFilesAKilledAgentLeftBehind()
    {
        // A SIGKILL between creating a temp file and renaming it leaves the file, password and all.
        await using var scenario = await AgentScenario.StartAsync(defaultTtl: "30s", maxTtl: "120s");
        var stateDirectory = Path.Combine(scenario.Directory, ".lease-agent");
        Directory.CreateDirectory(stateDirectory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        string[] leftovers =
        [
            Path.Combine(scenario.Directory, ".db.json.0123456789ab.tmp"),
            Path.Combine(stateDirectory, ".journal.json.a1b2c3d4e5f6.tmp"),
            Path.Combine(stateDirectory, ".status.json.ffffffffffff.tmp"),
        ];
        string[] notOurs = [Path.Combine(scenario.Directory, ".db.json.backup.tmp"), Path.Combine(scenario.Directory, ".other.json.0123456789ab.tmp")];
        foreach (var file in leftovers.Concat(notOurs))
        {
            File.WriteAllText(file, "left-behind-password");
        }

        var (agent, _) = await scenario.StartAgentAsync();
        await scenario.WaitForCredentialAsync(_ => true, Generous, "the credential");

        Assert.All(leftovers, file => Assert.False(File.Exists(file), $"{file} is still there"));
        Assert.All(notOurs, file => Assert.True(File.Exists(file), $"{file} is not the agent's, but was removed"));
        Assert.True(agent.Logged("stale temp"), "the removal is logged");
        agent.Terminate();
        Assert.Equal(0, await agent.WaitForExitAsync(Generous));
    }

    [Fact]
    public async Task CrashLoop_NeverPilesUpUsers()
    {
        await using var scenario = await AgentScenario.StartAsync(defaultTtl: "30s", maxTtl: "120s");
        for (var restart = 0; restart < 5; restart++)
        {
            var (agent, _) = await scenario.StartAgentAsync();
            await scenario.WaitForCredentialAsync(_ => true, Generous, $"a credential after restart {restart}");
            agent.Kill();
            await agent.WaitForExitAsync(Generous);
        }

        Assert.Single(await scenario.Emulator.LeaseUsersAsync());
        Assert.Single(await scenario.Emulator.ActiveLeasesAsync());
    }

    [Fact]
    public async Task SecondAgentOnTheVolume_ExitsAtOnce_WithoutTouchingAnything()
    {
        await using var scenario = await AgentScenario.StartAsync(defaultTtl: "30s", maxTtl: "120s");
        var (first, _) = await scenario.StartAgentAsync();
        var published = await scenario.WaitForCredentialAsync(_ => true, Generous, "the first credential");

        var (second, _) = await scenario.StartAgentAsync();
        var exitCode = await second.WaitForExitAsync(Generous);

        Assert.Equal(3, exitCode);
        Assert.Contains("another lease-agent holds", second.Output, StringComparison.Ordinal);
        Assert.Equal(published["lease_id"]!.GetValue<string>(), (await AgentScenario.ReadJsonFileAsync(scenario.OutputFile))["lease_id"]!.GetValue<string>());
        Assert.Single(await scenario.Emulator.LeaseUsersAsync());
        Assert.False(first.HasExited);
    }

    [Fact]
    public async Task KillDuringGenerate_RestartFindsTheUnansweredLease_AndRevokesIt()
    {
        await using var scenario = await AgentScenario.StartAsync(defaultTtl: "30s", maxTtl: "120s");
        // The emulator mints the user at once but holds the answer back: the agent dies before it learns the lease id.
        await scenario.Emulator.SetFaultAsync(new { route = "generate", latency_ms = 5000, after = true, count = 1 });
        var (first, _) = await scenario.StartAgentAsync();
        await Eventually.ReturnsAsync(scenario.Emulator.LeaseUsersAsync, users => users.Count == 1, Generous, "the user minted for the generate in flight");
        first.Kill();
        await first.WaitForExitAsync(Generous);
        Assert.False(File.Exists(scenario.OutputFile));

        var (second, _) = await scenario.StartAgentAsync();
        await scenario.WaitForCredentialAsync(_ => true, Generous, "a credential after the restart");
        await Eventually.ReturnsAsync(scenario.Emulator.LeaseUsersAsync, users => users.Count == 1, Generous, "the orphan revoked, one user left");
        await Eventually.ReturnsAsync(scenario.Emulator.ActiveLeasesAsync, leases => leases.Count == 1, Generous, "one active lease");
        Assert.Contains("resolving 1 unanswered generate", second.Output, StringComparison.Ordinal);

        second.Terminate();
        Assert.Equal(0, await second.WaitForExitAsync(Generous));
        Assert.Empty(await scenario.Emulator.LeaseUsersAsync());
    }
}
