using System.Globalization;
using LeaseAgent.ChaosTests.Harness;
using Npgsql;

namespace LeaseAgent.ChaosTests.Scenarios;

/// <summary>
/// Scenario 5: the database the lease users log in to is restarted mid-lease (a throwaway Postgres of the lane's
/// own; the emulator's state stays on the shared server): at a random moment, or just as a probe (slowed to 0.4 s),
/// a renewal or a rotation starts. Probes fail while it is down and the agent must publish
/// nothing it could not probe: the monitor notes when each document first appeared and logs in with it; a
/// document that appears while the server is down, or a credential that fails once the server is back while its
/// lease is live, is a failed query. After the restart the agent recovers to one working credential.
/// </summary>
public static class PostgresRestartScenario
{
    public const int Number = 5;
    public const string Name = "5 postgres-restart";
    public const int Lanes = 2;

    /// <summary>Connection failures this long after the server is back still count as part of the outage.</summary>
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(3);

    public static async Task RunAsync(Iteration iteration)
    {
        var server = iteration.ThrowawayServer!;
        var role = await iteration.CreateRoleAsync("4s", "12s");
        var pod = await iteration.CreatePodAsync(role);
        pod.Environment["DB_PROBE_WINDOW"] = iteration.Pick(["1s", "3s"]);
        pod.Environment["DB_PROBE_QUERY"] = "SELECT pg_sleep(0.4)";
        var target = iteration.Pick([KillMoments.Random, "Probing", "Renewing", "Rotating"]);

        var outage = new Outage();
        var agent = pod.StartAgent();
        await using var monitor = new CredentialMonitor(pod, outage.Explains);
        var moment = await KillMoments.WaitAsync(iteration, agent, target, horizon: 12);
        Checks.StillRunning(iteration, agent);
        var phase = agent.Phase();

        var downtime = iteration.Between(1, 6);
        outage.StopBegan = DateTimeOffset.UtcNow;
        await server.StopServerAsync();
        outage.StopEnded = DateTimeOffset.UtcNow;
        await Task.Delay(downtime);
        outage.StartBegan = DateTimeOffset.UtcNow;
        await server.StartServerAsync();
        outage.StartEnded = DateTimeOffset.UtcNow;
        iteration.Tally("restarted in " + phase);
        iteration.Log($"Postgres stopped {moment}, in {phase}, down for {(outage.StartEnded - outage.StopBegan).TotalSeconds:0.0} s");

        await Checks.ServingOneUserAsync(iteration, pod, agent, TimeSpan.FromSeconds(60), "one working credential after the Postgres restart");
        await monitor.WaitForLoginAsync(TimeSpan.FromSeconds(10));
        Checks.StillRunning(iteration, agent);
        await monitor.DisposeAsync();

        // Publishing needs a probe that logged in, which nothing can while the server is down.
        var unprobed = monitor.Documents.Where(d => d.FirstSeen > outage.StopEnded + TimeSpan.FromSeconds(1) && d.FirstSeen < outage.StartBegan).ToList();
        iteration.Counters.FailedQueriesFound(unprobed.Count, $"{iteration.Label}: published while Postgres was down: {string.Join(", ", unprobed.Select(d => d.Credential))}");
        Assert.True(unprobed.Count == 0, $"published while Postgres was down (so never probed): {string.Join(", ", unprobed.Select(d => $"{d.Credential} at {d.FirstSeen:HH:mm:ss.fff}"))}; outage {outage}");
        EmulatorFaultScenario.Report(iteration, monitor);

        if (agent.Logged("the lease will not be published"))
        {
            iteration.Tally("probe failed during the outage (not published)");
        }

        if (agent.Logged("expired without a replacement"))
        {
            iteration.Tally("lease expired during the outage (file removed, recovered)");
        }

        await Checks.TerminateCleanlyAsync(iteration, pod, agent);
    }

    /// <summary>When the server was stopped and started; explains connection failures (never a refused login) around it.</summary>
    private sealed class Outage
    {
        private readonly Lock _gate = new();
        private DateTimeOffset _stopBegan = DateTimeOffset.MaxValue;
        private DateTimeOffset _stopEnded = DateTimeOffset.MaxValue;
        private DateTimeOffset _startBegan = DateTimeOffset.MaxValue;
        private DateTimeOffset _startEnded = DateTimeOffset.MaxValue;

        public DateTimeOffset StopBegan { get => Get(ref _stopBegan); set => Set(ref _stopBegan, value); }

        public DateTimeOffset StopEnded { get => Get(ref _stopEnded); set => Set(ref _stopEnded, value); }

        public DateTimeOffset StartBegan { get => Get(ref _startBegan); set => Set(ref _startBegan, value); }

        public DateTimeOffset StartEnded { get => Get(ref _startEnded); set => Set(ref _startEnded, value); }

        public bool Explains(DateTimeOffset started, DateTimeOffset failed, Exception error)
        {
            var refusedLogin = error is PostgresException { SqlState: var state } && state.StartsWith("28", StringComparison.Ordinal);
            var startEnded = StartEnded;
            return !refusedLogin && failed >= StopBegan && (startEnded == DateTimeOffset.MaxValue || started <= startEnded + Settle);
        }

        public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"stop {StopBegan:HH:mm:ss.fff}-{StopEnded:HH:mm:ss.fff}, start {StartBegan:HH:mm:ss.fff}-{StartEnded:HH:mm:ss.fff}");

        private DateTimeOffset Get(ref DateTimeOffset field)
        {
            lock (_gate)
            {
                return field;
            }
        }

        private void Set(ref DateTimeOffset field, DateTimeOffset value)
        {
            lock (_gate)
            {
                field = value;
            }
        }
    }
}
