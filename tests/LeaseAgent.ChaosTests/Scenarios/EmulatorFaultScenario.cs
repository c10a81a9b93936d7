using System.Globalization;
using LeaseAgent.ChaosTests.Harness;

namespace LeaseAgent.ChaosTests.Scenarios;

/// <summary>
/// Scenario 4: ScaiVault misbehaves during the lease. Each iteration runs every kind of fault once, in random
/// order, for random lengths: 503 bursts, latency beyond the agent's 1 s HTTP timeout, dropped connections
/// (sometimes after the work was done), 429 storms with Retry-After, and a restart of the emulator on the same
/// database and port. Throughout, a monitor logs in with whatever is published: the credential must keep working
/// while its lease is live (failed_queries), and every read must be a complete document (partial_reads).
/// Afterwards the pod converges to one user and one lease, and SIGTERM leaves nothing.
/// </summary>
public static class EmulatorFaultScenario
{
    public const int Number = 4;
    public const string Name = "4 emulator-faults";
    public const int Lanes = 2;

    private static readonly string[] Kinds = ["503 burst", "latency beyond timeout", "dropped connections", "429 storm", "emulator restart"];

    public static async Task RunAsync(Iteration iteration)
    {
        var (ttl, maxTtl) = iteration.Pick<(string, string)>([("4s", "12s"), ("8s", "24s")]);
        var role = await iteration.CreateRoleAsync(ttl, maxTtl);
        var pod = await iteration.CreatePodAsync(role);
        pod.Environment["SCAIVAULT_TIMEOUT"] = "1s";

        var agent = pod.StartAgent();
        await Checks.ServingOneUserAsync(iteration, pod, agent, TimeSpan.FromSeconds(30), "the first credential");
        await using (var monitor = new CredentialMonitor(pod))
        {
            foreach (var kind in Kinds.OrderBy(_ => iteration.Random.Next()).ToList())
            {
                await Task.Delay(iteration.Between(0.5, 2.5));
                Checks.StillRunning(iteration, agent);
                var length = iteration.Between(1, 5);
                await InjectAsync(iteration, kind, length);
                iteration.Tally(kind);
                iteration.Log($"{kind} for {length.TotalSeconds:0.0} s (lease TTL {ttl}, max {maxTtl}), agent phase now {agent.Phase()}");
            }

            await Checks.ServingOneUserAsync(iteration, pod, agent, TimeSpan.FromSeconds(45), "one lease user once ScaiVault is healthy again");
            await monitor.WaitForLoginAsync(TimeSpan.FromSeconds(10));
            Checks.StillRunning(iteration, agent);
            await monitor.DisposeAsync();
            Report(iteration, monitor);
        }

        if (agent.Logged("expired without a replacement"))
        {
            iteration.Tally("lease expired during a fault (file removed, recovered)");
        }

        await Checks.TerminateCleanlyAsync(iteration, pod, agent);
    }

    /// <summary>Counts what the monitor saw and fails the iteration on any of it.</summary>
    public static void Report(Iteration iteration, CredentialMonitor monitor)
    {
        iteration.Counters.FailedQueriesFound(monitor.FailedLogins.Count, $"{iteration.Label}: {string.Join(" | ", monitor.FailedLogins.Take(3))}");
        iteration.Counters.PartialReadsFound(monitor.InvalidReads.Count, $"{iteration.Label}: {string.Join(" | ", monitor.InvalidReads.Take(3))}");
        iteration.Log(string.Create(CultureInfo.InvariantCulture, $"monitor: {monitor.Logins} logins, {monitor.Excused} failed with the lease already gone or the database down, {monitor.FailedLogins.Count} failed while the lease was live; {monitor.Documents.Count} documents published"));
        Assert.True(monitor.Logins > 0, "the monitor never logged in");
        Assert.True(monitor.FailedLogins.IsEmpty, "a published credential failed while its lease was live:\n" + string.Join('\n', monitor.FailedLogins));
        Assert.True(monitor.InvalidReads.IsEmpty, "a read of the credential file was not a complete document:\n" + string.Join('\n', monitor.InvalidReads));
    }

    private static async Task InjectAsync(Iteration iteration, string kind, TimeSpan length)
    {
        var emulator = iteration.Emulator;
        switch (kind)
        {
            case "503 burst":
                await emulator.SetFaultAsync(new { route = "*", status = 503, rate = Math.Round(iteration.Uniform(0.6, 1), 2), retry_after = 1 });
                break;
            case "latency beyond timeout":
                await emulator.SetFaultAsync(new { route = "*", latency_ms = iteration.Random.Next(1200, 2500) });
                break;
            case "dropped connections":
                await emulator.SetFaultAsync(new { route = "*", drop = true, rate = Math.Round(iteration.Uniform(0.5, 1), 2), after = iteration.Chance(0.5) });
                break;
            case "429 storm":
                await emulator.SetFaultAsync(new { route = "*", status = 429, retry_after = iteration.Random.Next(1, 4) });
                break;
            case "emulator restart":
                await emulator.RestartAsync(length);
                return;
        }

        await Task.Delay(length);
        await emulator.ClearFaultsAsync();
    }
}
