using System.Text.Json.Nodes;
using LeaseAgent.ChaosTests.Harness;

namespace LeaseAgent.ChaosTests.Scenarios;

/// <summary>
/// Scenario 1: SIGKILL at a random moment or just inside a chosen phase (<see cref="KillMoments"/>), one to
/// three times in a row on the same volume (the later kills can land mid-adoption), then a last restart. The successor adopts the journalled current lease if it is still live,
/// revokes every other lease and unanswered generate the journal names, and the pod converges to one lease user
/// and one active lease, with a published credential that logs in (I1, I5). A final SIGTERM leaves nothing.
/// </summary>
public static class KillAndRestartScenario
{
    public const int Number = 1;
    public const string Name = "1 kill-and-restart";
    public const int Lanes = 2;

    public static async Task RunAsync(Iteration iteration)
    {
        var role = await iteration.CreateRoleAsync("4s", "12s");
        var pod = await iteration.CreatePodAsync(role);
        var plan = KillMoments.Plan(iteration, kills: iteration.Random.Next(1, 4));
        await KillMoments.WidenAsync(iteration, pod, plan);

        for (var kill = 0; kill < plan.Count; kill++)
        {
            if (plan[kill] == "Adopting" && pod.JournalledCurrentLease() is null)
            {
                plan[kill] = KillMoments.Random; // nothing to adopt: the predecessor died before it published
            }

            var agent = pod.StartAgent();
            var moment = await KillMoments.WaitAsync(iteration, agent, plan[kill]);
            Checks.StillRunning(iteration, agent);
            var phase = agent.Phase();
            await pod.KillAsync(agent);
            iteration.Tally("killed in " + phase);
            iteration.Log($"SIGKILL {kill + 1}/{plan.Count} {moment}, in {phase}");
        }

        // The successor runs without faults: what is checked is what it makes of its predecessors' journal.
        await iteration.Emulator.ClearFaultsAsync();
        var journalled = pod.JournalledCurrentLease();
        var record = journalled is null ? null : await iteration.Emulator.LeaseRecordAsync(journalled);
        var adoptable = record is not null && record.IsLive(DateTimeOffset.UtcNow + TimeSpan.FromSeconds(2));

        var successor = pod.StartAgent();

        // The file on the volume may still be the predecessor's: wait for the successor's own publish.
        await LeaseAgent.Testing.Eventually.TrueAsync(() => successor.Logged("Published generation") || successor.HasExited, TimeSpan.FromSeconds(40), "the restarted agent's first publish");
        Checks.StillRunning(iteration, successor);
        var firstPublish = successor.Lines.First(l => l.Contains("Published generation", StringComparison.Ordinal));
        if (adoptable)
        {
            Assert.True(
                successor.Logged($"adopting lease {journalled}") && PublishedLeaseId(firstPublish) == journalled,
                $"lease {journalled} was journalled as current with more than 2 s to live, but the restarted agent did not adopt and republish it\n{Checks.Tail(iteration, successor)}");
            iteration.Tally("restart adopted the journalled lease");
        }
        else
        {
            iteration.Tally(journalled is null ? "restart found no current lease" : "restart found the journalled lease dead");
        }

        await Checks.ServingOneUserAsync(iteration, pod, successor, TimeSpan.FromSeconds(40), "one lease user after the restart");
        Checks.StillRunning(iteration, successor);
        await Checks.TerminateCleanlyAsync(iteration, pod, successor);
    }

    /// <summary>The lease of event 101 ("Published generation …"), from its structured field rather than its wording.</summary>
    private static string? PublishedLeaseId(string line) => JsonNode.Parse(line)?["State"]?["LeaseId"]?.GetValue<string>();
}
