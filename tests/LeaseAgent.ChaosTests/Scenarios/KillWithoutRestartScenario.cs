using System.Globalization;
using LeaseAgent.ChaosTests.Harness;

namespace LeaseAgent.ChaosTests.Scenarios;

/// <summary>
/// Scenario 2: SIGKILL at a random moment or just inside a chosen phase (<see cref="KillMoments"/>), and no restart. Nobody revokes anything, so every lease user must go
/// when its lease expires and the emulator's sweeper runs: TTL 4 s, sweep every 500 ms, at most 0.9 s of
/// injected latency on a generate in flight; the deadline is 20 s (I1, I5).
/// </summary>
public static class KillWithoutRestartScenario
{
    public const int Number = 2;
    public const string Name = "2 kill-without-restart";
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
        await pod.KillAsync(agent);
        iteration.Tally("killed in " + phase);
        await iteration.Emulator.ClearFaultsAsync();

        var gone = await Checks.GoneAsync(iteration, role, TimeSpan.FromSeconds(20), "the expiry of every lease of the killed agent");
        iteration.Tally(string.Create(CultureInfo.InvariantCulture, $"users gone within {Math.Ceiling(gone.TotalSeconds):0} s"));
        iteration.Log($"SIGKILL {moment}, in {phase}; every lease user gone {gone.TotalSeconds:0.0} s later");
    }
}
