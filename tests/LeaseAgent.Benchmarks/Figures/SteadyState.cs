using System.Diagnostics;
using LeaseAgent.Benchmarks.Infrastructure;

namespace LeaseAgent.Benchmarks.Figures;

/// <summary>
/// Figures 2 and 3, measured side by side on processes that run at the same time (so that they share the
/// machine's noise): an agent in its default configuration, an agent with <c>HEALTH_ADDRESS</c> on, and the
/// baseline, an idle Native AOT host (built like the agent's host; also with <c>Host</c>'s defaults).
/// Figure 2 reads <c>VmRSS</c> from <c>/proc/&lt;pid&gt;/status</c> a few seconds after the agents published.
/// Figure 3 then measures CPU time over a window in which no renewal is due (10 min TTL).
/// </summary>
public sealed class SteadyState
{
    /// <summary>Issue 14: after publish and after the soak (figure 10c), with the health endpoint off.</summary>
    public const double RssGoalMiB = 24;
    private const double CpuGoalMsPerSecond = 1;
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    private readonly Samples _agentRss = new("MiB");
    private readonly Samples _agentAnon = new("MiB");
    private readonly Samples _agentFile = new("MiB");
    private readonly Samples _agentRssAfterWindow = new("MiB");
    private readonly Samples _healthRss = new("MiB");
    private readonly Samples _healthRssAfterScrape = new("MiB");
    private readonly Samples _idleRss = new("MiB");
    private readonly Samples _idleDefaultsRss = new("MiB");
    private readonly Samples _bareRss = new("MiB");
    private readonly Samples _agentCpu = new("ms/s", "0.00");
    private readonly Samples _agentCpuSched = new("ms/s", "0.00");
    private readonly Samples _healthCpu = new("ms/s", "0.00");
    private readonly Samples _idleCpu = new("ms/s", "0.00");
    private readonly Samples _idleCpuSched = new("ms/s", "0.00");

    public async Task MeasureAsync(Bench bench)
    {
        var agentDirectory = bench.NewDirectory("steady");
        var healthDirectory = bench.NewDirectory("steady-health");
        var idleDirectory = bench.NewDirectory("idle");
        var port = LoopbackPort.Free();
        var healthEnvironment = bench.AgentEnvironment(bench.LongRole, Path.Combine(healthDirectory, "db.json"));
        healthEnvironment["HEALTH_ADDRESS"] = $"127.0.0.1:{port}";

        using var agentWatcher = new PublishWatcher(agentDirectory);
        using var healthWatcher = new PublishWatcher(healthDirectory);
        await using var idle = ChildProcess.Start("idle-host", bench.Binaries.IdleHost, new Dictionary<string, string>(), idleDirectory);
        await using var idleDefaults = ChildProcess.Start("idle-host --host-defaults", bench.Binaries.IdleHost, new Dictionary<string, string>(), idleDirectory, "--host-defaults");
        await using var agent = ChildProcess.Start("lease-agent", bench.Binaries.Agent, bench.ExperimentEnvironment(bench.LongRole, Path.Combine(agentDirectory, "db.json")), agentDirectory, "run");
        await using var health = ChildProcess.Start("lease-agent (HEALTH_ADDRESS)", bench.Binaries.Agent, healthEnvironment, healthDirectory, "run");
        var bareDirectory = bench.NewDirectory("bare-held");
        var bareEnvironment = bench.AgentEnvironment(bench.LongRole, Path.Combine(bareDirectory, "db.json"));
        bareEnvironment["BARE_CLIENT_HOLD"] = "1";
        await using var bare = ChildProcess.Start("bare-client (held)", bench.Binaries.BareClient, bareEnvironment, bareDirectory);

        var published = Math.Max(await agentWatcher.WaitAsync("db.json", Timeout, agent), await healthWatcher.WaitAsync("db.json", Timeout, health));
        await WaitForOutputAsync(bare);
        var settleLeft = bench.Options.Settle - Stopwatch.GetElapsedTime(published);
        if (settleLeft > TimeSpan.Zero)
        {
            await Task.Delay(settleLeft);
        }

        var agentMemory = ProcFs.ReadMemory(agent.Pid);
        _agentRss.Add(agentMemory.RssMiB);
        _agentAnon.Add(agentMemory.AnonKiB / 1024.0);
        _agentFile.Add(agentMemory.FileKiB / 1024.0);
        _healthRss.Add(ProcFs.ReadMemory(health.Pid).RssMiB);
        _idleRss.Add(ProcFs.ReadMemory(idle.Pid).RssMiB);
        _idleDefaultsRss.Add(ProcFs.ReadMemory(idleDefaults.Pid).RssMiB);
        _bareRss.Add(ProcFs.ReadMemory(bare.Pid).RssMiB);

        // What Prometheus would see: one scrape, then the memory again.
        using (var http = new HttpClient())
        {
            await http.GetStringAsync(new Uri($"http://127.0.0.1:{port}/metrics"));
        }

        await Task.Delay(TimeSpan.FromSeconds(1));
        _healthRssAfterScrape.Add(ProcFs.ReadMemory(health.Pid).RssMiB);

        ChildProcess[] measured = [agent, health, idle];
        var before = measured.Select(p => ProcFs.ReadCpu(p.Pid)).ToArray();
        var clock = Stopwatch.StartNew();
        await Task.Delay(bench.Options.IdleWindow);
        var after = measured.Select(p => ProcFs.ReadCpu(p.Pid)).ToArray();
        var seconds = clock.Elapsed.TotalSeconds;
        _agentRssAfterWindow.Add(ProcFs.ReadMemory(agent.Pid).RssMiB);
        _agentCpu.Add((after[0].StatMs - before[0].StatMs) / seconds);
        _agentCpuSched.Add(after[0].SchedMsSince(before[0]) / seconds);
        _healthCpu.Add((after[1].StatMs - before[1].StatMs) / seconds);
        _idleCpu.Add((after[2].StatMs - before[2].StatMs) / seconds);
        _idleCpuSched.Add(after[2].SchedMsSince(before[2]) / seconds);

        var exits = await Task.WhenAll(new[] { agent, health, idle, idleDefaults, bare }.Select(p => p.StopAsync(Timeout)));
        if (exits[0] != 0 || exits[1] != 0)
        {
            throw new HarnessException($"an agent exited with {exits[0]}/{exits[1]} after SIGTERM:\n{agent.Output}\n{health.Output}");
        }
    }

    public IEnumerable<FigureResult> Results(Bench bench)
    {
        yield return new FigureResult(
            "2",
            "Steady-state RSS after publish (default config, HEALTH_ADDRESS off)",
            _agentRss.Format(),
            _idleRss.Format() + " (idle AOT host)",
            Measurements.Ratio(_agentRss.Median, _idleRss.Median),
            $"≤ {RssGoalMiB} MiB",
            _agentRss.Median <= RssGoalMiB ? Verdict.Holds : Verdict.Misses,
            [
                $"Agent VmRSS {bench.Options.Settle.TotalSeconds:0} s after its publish: {_agentRss.Describe()}; of which RssAnon {_agentAnon.Format()}, RssFile {_agentFile.Format()}.",
                $"Agent VmRSS again after the {bench.Options.IdleWindow.TotalSeconds:0} s idle window of figure 3: {_agentRssAfterWindow.Describe()}.",
                $"Baseline: idle Native AOT host built like the agent's (no default sources, JSON console logging, one do-nothing BackgroundService), default runtime settings: {_idleRss.Describe()}.",
                $"The same idle host with Host.CreateApplicationBuilder(args) defaults: {_idleDefaultsRss.Describe()}.",
                $"The bare client (HttpClient + Npgsql + OpenSSL, no host), idle after its exchange, two generates, logins, writes and revokes: {_bareRss.Describe()}. This is the floor of any AOT process that speaks this protocol.",
            ]);
        yield return new FigureResult(
            "2b",
            "RSS with HEALTH_ADDRESS on, after one /metrics scrape",
            _healthRssAfterScrape.Format(),
            _idleRss.Format() + " (idle AOT host)",
            Measurements.Ratio(_healthRssAfterScrape.Median, _idleRss.Median),
            $"(≤ {RssGoalMiB} MiB is figure 2's goal)",
            Verdict.Info,
            [$"Before the scrape: {_healthRss.Describe()}; after one GET /metrics: {_healthRssAfterScrape.Describe()}."]);
        yield return new FigureResult(
            "3",
            $"Idle CPU with an active lease, no renewal due ({bench.Options.IdleWindow.TotalSeconds:0} s window)",
            _agentCpu.Format(),
            _idleCpu.Format() + " (idle AOT host)",
            "–",
            $"≤ {CpuGoalMsPerSecond} ms/s",
            _agentCpu.Median <= CpuGoalMsPerSecond ? Verdict.Holds : Verdict.Misses,
            [
                $"utime+stime from /proc/<pid>/stat (10 ms ticks): agent {_agentCpu.Describe()}; idle host {_idleCpu.Describe()}; agent with HEALTH_ADDRESS {_healthCpu.Describe()}.",
                $"Sum of the threads' run time from /proc/<pid>/task/*/schedstat (ns resolution): agent {_agentCpuSched.Describe()}; idle host {_idleCpuSched.Describe()}.",
                "The agent rewrites its status file every 10 s (heartbeat), so a window holds one or two heartbeats.",
            ]);
    }

    /// <summary>Waits for the bare client's line of timings: it has done its work and idles from then on.</summary>
    private static async Task WaitForOutputAsync(ChildProcess process)
    {
        var clock = Stopwatch.StartNew();
        while (process.Lines.Count == 0)
        {
            if (process.HasExited || clock.Elapsed > Timeout)
            {
                throw new HarnessException($"{process.Name} did not finish its work (exited: {process.HasExited}):\n{process.Output}");
            }

            await Task.Delay(50);
        }
    }
}
