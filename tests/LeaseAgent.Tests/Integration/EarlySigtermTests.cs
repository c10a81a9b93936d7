using LeaseAgent.Testing;

namespace LeaseAgent.Tests.Integration;

/// <summary>
/// docs/chaos.md finding 8 against the real binary: an agent is killed (SIGKILL: its journal stays on the volume), the
/// next one starts on the same volume and gets SIGTERM in its first milliseconds. Whatever the moment, what the journal
/// names must be revoked before the exit, or the previous agent's user lives on to its TTL with no agent left to care.
/// </summary>
public sealed class EarlySigtermTests
{
    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(30);

    /// <summary>Restarts before the signal lands after the agent's SIGTERM handler exists (earlier, finding 5: 143).</summary>
    private const int MaxAttempts = 10;

    /// <param name="delayMs">How long after the restarted agent's first log line the SIGTERM is sent (0: at once).</param>
    [Theory]
    [InlineData(0)]
    [InlineData(2)]
    [InlineData(5)]
    [InlineData(10)]
    public async Task SigtermInTheFirstMilliseconds_AfterARestartOnAJournal_RevokesEveryJournalledLease_ExitsZero(int delayMs)
    {
        await using var scenario = await AgentScenario.StartAsync(defaultTtl: "30s", maxTtl: "120s");
        var journal = Path.Combine(scenario.Directory, ".lease-agent", "journal.json");
        var (first, _) = await scenario.StartAgentAsync();
        var published = await scenario.WaitForCredentialAsync(_ => true, Generous, "the first credential");
        var user = published["username"]!.GetValue<string>();
        first.Kill();
        await first.WaitForExitAsync(Generous);
        Assert.True(File.Exists(journal), "the killed agent leaves its journal");
        Assert.Equal([user], await scenario.Emulator.LeaseUsersAsync());

        var early = new List<int>();
        for (var attempt = 1; attempt <= MaxAttempts; attempt++)
        {
            var (agent, _) = await scenario.StartAgentAsync();
            await Eventually.TrueAsync(() => agent.Lines.Count > 0 || agent.HasExited, Generous, "the restarted agent's first log line");
            if (delayMs > 0)
            {
                await Task.Delay(delayMs); // the moment under test, not a wait for a condition
            }

            agent.Terminate();
            var exitCode = await agent.WaitForExitAsync(Generous);
            if (exitCode == 143)
            {
                // Before the agent's handler existed (finding 5): killed by the signal, the journal left for the next agent.
                Assert.True(File.Exists(journal), $"attempt {attempt}: exit 143 leaves the journal\n{agent.Output}");
                early.Add(attempt);
                continue;
            }

            Assert.True(exitCode == 0, $"attempt {attempt}: exit {exitCode}\n{agent.Output}");
            Assert.True(
                (await scenario.Emulator.LeaseUsersAsync()).Count == 0,
                $"attempt {attempt}: exit 0 but the journalled user {user} is still there (finding 8); the agent's log:\n{agent.Output}");
            Assert.Empty(await scenario.Emulator.ActiveLeasesAsync());
            Assert.False(File.Exists(journal), $"attempt {attempt}: every lease revoked, yet the journal is still there");
            return;
        }

        Assert.Fail($"all {MaxAttempts} SIGTERMs came before the agent's handler (exit 143: attempts {string.Join(", ", early)})");
    }
}
