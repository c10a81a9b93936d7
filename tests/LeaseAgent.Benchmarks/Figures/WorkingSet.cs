using System.Diagnostics;
using LeaseAgent.Benchmarks.Infrastructure;

namespace LeaseAgent.Benchmarks.Figures;

/// <summary>
/// Figure 11: the working set kubelet reports for the agent's container (<c>container_memory_working_set_bytes</c>,
/// what <c>kubectl top</c> shows and what eviction compares): cgroup memory usage minus inactive file pages. The agent
/// runs in its default configuration on the long role (no renewal due) in a cgroup of its own, which it joins before
/// its first instruction (<see cref="MemoryCgroup.WrapCommand"/>). Before it, another agent runs once to its publish
/// in the harness's own cgroup, so the binary's and libraries' pages are in the page cache, as on a node that already
/// runs a pod of this image. Page cache is charged to the cgroup that first brought a page in, so those pages are
/// not charged to the measured cgroup: the figure is the agent's anonymous memory, the kernel memory it causes, and
/// the file pages only it touched (its own output, journal and status files). Read a few times after the publish
/// has settled; the median is reported.
/// </summary>
public sealed class WorkingSet
{
    private const double GoalMiB = 12;
    private const int Readings = 5;
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    private readonly Samples _workingSet = new("MiB");
    private readonly List<string> _details = [];
    private string? _skipped;

    public async Task MeasureAsync(Bench bench)
    {
        var clock = Stopwatch.StartNew();

        // The node already has the image's pages cached: one agent, to its publish, in the harness's cgroup.
        var warmDirectory = bench.NewDirectory("working-set-warm");
        await using (var warm = ChildProcess.Start("lease-agent (warm-up)", bench.Binaries.Agent, bench.ExperimentEnvironment(bench.LongRole, Path.Combine(warmDirectory, "db.json")), warmDirectory, "run"))
        {
            using var watcher = new PublishWatcher(warmDirectory);
            await watcher.WaitAsync("db.json", Timeout, warm);
            await warm.StopAsync(Timeout);
        }

        using var cgroup = MemoryCgroup.TryCreate($"lease-agent-bench-{Environment.ProcessId}", out var reason);
        if (cgroup is null)
        {
            _skipped = reason;
            Console.Error.WriteLine($"  figure 11 skipped: {reason}");
            return;
        }

        var directory = bench.NewDirectory("working-set");
        var (binary, args) = cgroup.WrapCommand(bench.Binaries.Agent, "run");
        var before = cgroup.Read();
        await using (var agent = ChildProcess.Start("lease-agent (own cgroup)", binary, bench.ExperimentEnvironment(bench.LongRole, Path.Combine(directory, "db.json")), directory, args))
        {
            long published;
            using (var watcher = new PublishWatcher(directory))
            {
                published = await watcher.WaitAsync("db.json", Timeout, agent);
            }

            if (!cgroup.Pids().Contains(agent.Pid))
            {
                throw new HarnessException($"the agent (pid {agent.Pid}) is not in {cgroup.Path} (pids there: {string.Join(',', cgroup.Pids())})");
            }

            // From the settle moment of figure 2 on, one reading a second.
            var settleLeft = bench.Options.Settle - Stopwatch.GetElapsedTime(published);
            if (settleLeft > TimeSpan.Zero)
            {
                await Task.Delay(settleLeft);
            }

            MemoryCgroup.Usage? last = null;
            using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
            for (var i = 0; i < Readings; i++)
            {
                last = cgroup.Read();
                _workingSet.Add(last.WorkingSetMiB);
                if (i + 1 < Readings)
                {
                    await timer.WaitForNextTickAsync();
                }
            }

            var memory = ProcFs.ReadMemory(agent.Pid);
            var pss = ProcFs.ReadPssKiB(agent.Pid);
            var exit = await agent.StopAsync(Timeout);
            _details.AddRange(
            [
                $"cgroup v{cgroup.Version}, {cgroup.Path}; the agent joined it before exec (a shell writes its pid to cgroup.procs, then execs lease-agent run). Working set {_workingSet.Describe()}, one reading a second from {bench.Options.Settle.TotalSeconds:0} s after the publish; the empty cgroup read {Measurements.F(before.WorkingSetMiB, "0.00")} MiB before the start.",
                $"Last reading: {last!.Describe()}. "
                    + (cgroup.Version == 1
                        ? "v1: working set = memory.usage_in_bytes − memory.stat total_inactive_file (usage includes kernel memory)."
                        : "v2: working set = memory.current − memory.stat inactive_file."),
                $"The same moment per process: VmRSS {Measurements.F(memory.RssMiB)} MiB (RssAnon {Measurements.F(memory.AnonKiB / 1024.0)}, RssFile {Measurements.F(memory.FileKiB / 1024.0)}), PSS {Measurements.F(pss / 1024.0)} MiB. The binary's and libraries' pages (RssFile) were brought in by the warm-up agent in the harness's cgroup (or earlier by the publish that wrote the binary) and stay charged there: a page is charged to the cgroup that first touches it, and a process moving or starting elsewhere does not move the charge. So this figure is what every pod after the first on a node shows; the first pod to start on a node whose page cache does not hold the image yet is also charged for the file pages it faults in (up to RssFile more, until they become inactive).",
                $"Agent configuration: default{string.Concat(bench.Options.AgentEnvironment.Select(e => $", {e.Key}={e.Value}"))}. The agent exited with {exit} after SIGTERM; the figure took {clock.Elapsed.TotalSeconds:0} s with the warm-up.",
            ]);
        }
    }

    public FigureResult Result()
    {
        if (_skipped is not null)
        {
            return new FigureResult("11", "Working set kubelet reports (cgroup usage − inactive file), image pages cached", "skipped", "–", "–", $"≤ {GoalMiB:0} MiB", Verdict.Info, [$"Skipped: {_skipped}."]);
        }

        return new FigureResult(
            "11",
            "Working set kubelet reports (cgroup usage − inactive file), image pages cached",
            _workingSet.Format(),
            "–",
            "–",
            $"≤ {GoalMiB:0} MiB",
            _workingSet.Median <= GoalMiB ? Verdict.Holds : Verdict.Misses,
            _details);
    }
}
