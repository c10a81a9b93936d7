using LeaseAgent.ChaosTests.Harness;

namespace LeaseAgent.ChaosTests.Scenarios;

/// <summary>
/// Scenario 3: SIGTERM at a random moment or just inside a chosen phase (<see cref="KillMoments"/>), mid-generate
/// included (widened by emulator latency, sometimes applied after the work is done). The agent must exit 0 within
/// SHUTDOWN_TIMEOUT having revoked everything it holds or may hold, with the file and the journal gone: at once
/// after the exit, no lease user in Postgres and no active lease in the emulator.
/// </summary>
public static class TerminateScenario
{
    public const int Number = 3;
    public const string Name = "3 sigterm";
    public const int Lanes = 2;

    public static async Task RunAsync(Iteration iteration)
    {
        var role = await iteration.CreateRoleAsync("4s", "12s");
        var pod = await iteration.CreatePodAsync(role);
        var plan = KillMoments.Plan(iteration, kills: 1);
        await KillMoments.WidenAsync(iteration, pod, plan);

        var agent = pod.StartAgent();
        var moment = await KillMoments.WaitAsync(iteration, agent, plan[0]);
        Checks.StillRunning(iteration, agent);
        var phase = agent.Phase();
        await Checks.TerminateCleanlyAsync(iteration, pod, agent, atRandomMoment: true);
        iteration.Tally("terminated in " + phase);
        iteration.Log($"SIGTERM {moment}, in {phase}: exit 0, nothing left");
    }
}
