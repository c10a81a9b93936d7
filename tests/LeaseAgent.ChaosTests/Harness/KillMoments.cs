using System.Diagnostics;
using LeaseAgent.Testing;

namespace LeaseAgent.ChaosTests.Harness;

/// <summary>
/// When to kill: either a random moment over the first two lease lifetimes, or just after the agent entered a
/// chosen phase (seen in its transition log), so that the short phases are hit as often as the long ones. Those
/// phases are widened for the iteration: a probe query that sleeps (mid-probe), emulator latency on generate
/// (mid-generate, mid-rotation; sometimes after the work is done, so the answer is lost with the agent) and on
/// renew (mid-renew).
/// </summary>
public static class KillMoments
{
    public const string Random = "random moment";
    private const string Rotating = "Rotating";
    private static readonly string[] Phases = ["Generating", "Probing", "Renewing", Rotating, "Retiring"];

    /// <summary>One target per kill; <c>Adopting</c> is a target only after a kill (an agent finding its predecessor's journal).</summary>
    public static List<string> Plan(Iteration iteration, int kills) =>
        [.. Enumerable.Range(0, kills).Select(k => iteration.Chance(0.4)
            ? Random
            : iteration.Pick<string>(k > 0 ? [.. Phases, "Adopting"] : Phases))];

    /// <summary>Widens the phases the plan targets, and each other one with probability ½.</summary>
    public static async Task WidenAsync(Iteration iteration, ChaosPod pod, IReadOnlyCollection<string> plan)
    {
        if (plan.Contains("Probing") || plan.Contains("Adopting") || iteration.Chance(0.5))
        {
            pod.Environment["DB_PROBE_QUERY"] = "SELECT pg_sleep(0.4)";
            iteration.Tally("widened probe");
        }

        if (plan.Contains("Generating") || plan.Contains(Rotating) || iteration.Chance(0.5))
        {
            var after = iteration.Chance(0.5);
            await iteration.Emulator.SetFaultAsync(new { route = "generate", latency_ms = iteration.Random.Next(400, 900), after });
            iteration.Tally(after ? "widened generate (answer late)" : "widened generate");
        }

        if (plan.Contains("Renewing") || plan.Contains("Adopting") || iteration.Chance(0.5))
        {
            var after = iteration.Chance(0.5);
            await iteration.Emulator.SetFaultAsync(new { route = "renew", latency_ms = iteration.Random.Next(400, 700), after });
            iteration.Tally(after ? "widened renew (answer late)" : "widened renew");
        }
    }

    /// <summary>Waits for the planned moment; returns how it was reached, for the log.</summary>
    /// <param name="target"><see cref="Random"/>, a state name (the moment the agent enters it) or <c>Rotating</c>.</param>
    /// <param name="horizon">How far a random moment may lie.</param>
    public static async Task<string> WaitAsync(Iteration iteration, AgentProcess agent, string target, double horizon = 16)
    {
        if (target == Random)
        {
            var delay = iteration.Chance(0.2) ? iteration.Between(0, 0.8) : iteration.Between(0.8, horizon);
            await Task.Delay(delay);
            return $"{delay.TotalSeconds:0.00} s after start";
        }

        var marker = target == Rotating ? "Rotating: lease" : $" -> {target} on ";
        var clock = Stopwatch.StartNew();
        var seen = agent.Lines.Count;
        while (!agent.Lines.Skip(seen).Any(l => l.Contains(marker, StringComparison.Ordinal)))
        {
            if (clock.Elapsed > TimeSpan.FromSeconds(20) || agent.HasExited)
            {
                iteration.Tally($"target {target} not reached");
                return $"{clock.Elapsed.TotalSeconds:0.00} s (waited in vain for {target})";
            }

            await Task.Delay(5);
        }

        var into = iteration.Between(0, 0.3);
        await Task.Delay(into);
        return $"{into.TotalSeconds:0.00} s into {target} ({clock.Elapsed.TotalSeconds:0.00} s after start)";
    }
}
