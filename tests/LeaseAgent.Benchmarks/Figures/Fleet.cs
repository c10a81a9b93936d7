using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using LeaseAgent.Benchmarks.Infrastructure;
using LeaseAgent.Testing;

namespace LeaseAgent.Benchmarks.Figures;

/// <summary>
/// Figure 7: a fleet of N agents of one Deployment (one service account, so one identity and one rate-limit
/// window) started together against an emulator that accepts L generations per identity per sliding minute.
/// A <see cref="RecordingProxy"/> in front of the emulator records every request of every agent, so the harness
/// can tell how many generate requests the fleet sent and whether each agent waited out every
/// <c>Retry-After</c>. Renewal and revocation limits are off: they are not what this figure measures.
/// </summary>
public sealed partial class Fleet
{
    private const double RequestsGoal = 1.2;
    private const int MaxRejectionsInARow = 3;
    private static readonly TimeSpan Window = TimeSpan.FromMinutes(1);
    private static readonly TimeSpan Tolerance = TimeSpan.FromMilliseconds(10);

    /// <summary>
    /// Agents stopped at a time. The emulator holds a pooled state connection (the lease row's lock) while its
    /// revocation takes a second one: as many simultaneous revocations as its pool has connections (40 here)
    /// deadlock it until the pool's 15 s timeout, and the agents' revocations fail. A rollout stops pods in waves.
    /// </summary>
    private const int ShutdownWave = 20;

    private readonly List<FigureResult> _results = [];

    public IReadOnlyList<FigureResult> Results => _results;

    public async Task MeasureAsync(Bench bench)
    {
        var size = bench.Options.FleetSize;
        var limit = bench.Options.FleetLimit;
        await using var emulator = await EmulatorMetrics.Builder(generationsPerMinute: limit).WithStatePoolSize(40).StartAsync();
        var role = await emulator.CreateRoleAsync(emulator.Engine, "10m", "1h");
        var requireAuth = await TestPostgres.AgentRequireAuthAsync(emulator.Engine.Database);
        var directory = bench.NewDirectory("fleet");
        var token = await emulator.WriteTokenFileAsync(Path.Combine(directory, "token"), ttl: "2h");
        await using var proxy = await RecordingProxy.StartAsync(emulator.BaseAddress);
        using var watcher = new PublishWatcher(directory);

        var windows = (size - 1) / limit;
        var timeout = (Window * windows) + TimeSpan.FromMinutes(3);
        var agents = new List<ChildProcess>(size);
        long[] published;
        int[] exits;
        TimeSpan stopped;
        long minted;
        (ProcFs.Memory Status, long PssKiB)[] memory;
        try
        {
            Console.Error.WriteLine($"  starting {size} agents against {limit} generations/min (at least {windows} window(s) of 60 s) …");
            for (var i = 0; i < size; i++)
            {
                var name = $"agent-{i:000}";
                var environment = AgentEnvironment.Required(new Uri(proxy.BaseAddress, name + "/"), token, role, Path.Combine(directory, name + ".json"), requireAuth);
                environment["STATE_DIR"] = Path.Combine(directory, name + ".state");
                agents.Add(ChildProcess.Start(name, bench.Binaries.Agent, environment, directory, "run"));
            }

            published = await Task.WhenAll(agents.Select(a => watcher.WaitAsync(a.Name + ".json", timeout, a)));
            minted = await emulator.GeneratedTotalAsync(role);
            await Task.Delay(bench.Options.Settle);
            memory = [.. agents.Select(a => (ProcFs.ReadMemory(a.Pid), ProcFs.ReadPssKiB(a.Pid)))];
        }
        finally
        {
            (exits, stopped) = await StopAllAsync(agents);
        }

        Analyse(bench, agents, published, minted, [.. proxy.Requests.Where(r => r.IsGenerate)], memory);
        AnalyseShutdown(agents, exits, stopped, [.. proxy.Requests.Where(r => r.IsRevoke)]);
    }

    private void Analyse(Bench bench, List<ChildProcess> agents, long[] published, long minted, List<ProxiedRequest> generates, (ProcFs.Memory Status, long PssKiB)[] memory)
    {
        var size = bench.Options.FleetSize;
        var limit = bench.Options.FleetLimit;
        var start = agents[0].StartTimestamp;
        var total = TimeSpan.FromMilliseconds(Measurements.Ms(start, published.Max()));
        var first = TimeSpan.FromMilliseconds(Measurements.Ms(start, published.Min()));
        var startSpread = TimeSpan.FromMilliseconds(Measurements.Ms(start, agents[^1].StartTimestamp));

        // Sliding window: the k-th accepted generate can come no earlier than ⌊(k−1)/L⌋ windows after the first.
        var windows = (size - 1) / limit;
        var minimum = (Window * windows) + first;

        // Agents cannot coordinate: each must ask at least once per window in which it is refused.
        var minimumRequests = size + Enumerable.Range(1, windows).Sum(k => Math.Max(0, size - (k * limit)));
        var accepted = generates.Count(r => r.Status is >= 200 and < 300);
        var rejected = generates.Count(r => r.Status == 429);
        var other = generates.Count - accepted - rejected;

        var (longestStreak, agentsOverStreak, earlyRetries, earliest) = RetryAfterChecks(generates);
        var (logged, logViolations, codes) = LoggedRetryChecks(agents);

        _results.Add(new FigureResult(
            "7",
            $"Fleet: {size} agents, one identity, vs {limit} generations/min: all published",
            $"{Measurements.F(total.TotalSeconds)} s",
            $"{Measurements.F(minimum.TotalSeconds)} s (rate limit's minimum)",
            Measurements.Ratio(total.TotalSeconds, minimum.TotalSeconds),
            "(context)",
            Verdict.Info,
            [
                $"From the first agent's start to the last agent's file renamed into place. Starting {size} processes took {Measurements.F(startSpread.TotalSeconds)} s; the first agent published after {Measurements.F(first.TotalSeconds)} s.",
                $"Minimum: accepted generates must be spread so that no 60 s window holds more than {limit}, so the last one comes ⌊({size}−1)/{limit}⌋ = {windows} window(s) after the first; plus the first agent's own time to publish.",
                $"Memory {bench.Options.Settle.TotalSeconds:0} s after the last publish: median VmRSS {Measurements.F(Measurements.Median(memory.Select(m => m.Status.RssMiB)))} MiB, median RssAnon {Measurements.F(Measurements.Median(memory.Select(m => m.Status.AnonKiB / 1024.0)))} MiB per agent; the {size} agents together: PSS {Measurements.F(memory.Sum(m => m.PssKiB) / 1024.0)} MiB (the binary's pages are shared), i.e. {Measurements.F(memory.Sum(m => m.PssKiB) / 1024.0 / size)} MiB per agent.",
            ]));
        _results.Add(new FigureResult(
            "7b",
            "Fleet: generate requests sent (accepted + refused)",
            $"{generates.Count} ({accepted} + {rejected} × 429{(other > 0 ? $" + {other} other" : string.Empty)})",
            $"{minimumRequests} (minimum; {size} accepted)",
            Measurements.Ratio(generates.Count, minimumRequests),
            $"≤ {RequestsGoal}× minimum",
            generates.Count <= RequestsGoal * minimumRequests ? Verdict.Holds : Verdict.Misses,
            [
                $"Counted by the proxy; the emulator's scaivault_leases_generated_total says {minted} leases were minted.",
                $"Minimum for agents that cannot coordinate: each of the {size} is accepted once, and every agent still waiting is refused at least once per window: {size} + Σₖ max(0, {size} − k·{limit}) = {minimumRequests}. Against the {size} accepted alone the ratio is {Measurements.Ratio(generates.Count, size)}.",
            ]));
        _results.Add(new FigureResult(
            "7c",
            "Fleet: refusals in a row, per agent",
            $"longest run {longestStreak} ({agentsOverStreak} agent(s) above {MaxRejectionsInARow})",
            "–",
            "–",
            $"no agent above {MaxRejectionsInARow} refusals in a row",
            agentsOverStreak == 0 ? Verdict.Holds : Verdict.Misses,
            [$"Per agent, the longest run of consecutive 429 answers to its generate requests, from the proxy's record."]));
        _results.Add(new FigureResult(
            "7d",
            "Fleet: retries that wait out Retry-After",
            $"{rejected - earlyRetries} of {rejected} ({earlyRetries} early)",
            "–",
            "–",
            "all (event 107: X ≥ Retry-After)",
            earlyRetries == 0 && logViolations == 0 ? Verdict.Holds : Verdict.Misses,
            [
                $"From the proxy: a retry is early when it arrives less than Retry-After after the 429 was answered{(earliest is { } e ? $"; the earliest came {Measurements.F(e.TotalSeconds, "0.00")} s before Retry-After" : string.Empty)}.",
                $"From the agents' logs: {logged} event(s) 107 \"Could not acquire a lease (rate_limited …) retrying in X s\"; {logViolations} with X below the server's \"retry after N s\". Refusals retried inside one call, by the ScaiVault client's retry pipeline, are not logged; the proxy sees them.",
                $"Every event 107 by code: {codes}.",
            ]));
        var pssPerAgentMiB = memory.Sum(m => m.PssKiB) / 1024.0 / size;
        _results.Add(new FigureResult(
            "7f",
            $"Fleet: PSS per agent, {size} agents from one binary, {bench.Options.Settle.TotalSeconds:0} s after the last publish",
            $"{Measurements.F(pssPerAgentMiB)} MiB",
            $"{Measurements.F(Measurements.Median(memory.Select(m => m.Status.RssMiB)))} MiB (one agent's VmRSS, median)",
            Measurements.Ratio(pssPerAgentMiB, Measurements.Median(memory.Select(m => m.Status.RssMiB))),
            "(context: figure 11's goal is ≤ 12 MiB)",
            Verdict.Info,
            ["The sum of the agents' Pss (/proc/<pid>/smaps_rollup) over their number: each shared page (the binary, libc, libcrypto) counts once per node, split between the processes that map it."]));
    }

    private void AnalyseShutdown(List<ChildProcess> agents, int[] exits, TimeSpan stopped, List<ProxiedRequest> revokes)
    {
        var failed = exits.Count(e => e != 0);
        var answered = revokes.Where(r => r.Status > 0).ToList();
        var slowest = answered.Count == 0 ? TimeSpan.Zero : answered.Max(r => Stopwatch.GetElapsedTime(r.Received, r.Answered));
        _results.Add(new FigureResult(
            "7e",
            $"Fleet: rolling shutdown, {ShutdownWave} agents at a time → all exited",
            $"{Measurements.F(stopped.TotalSeconds)} s; {failed} exit(s) ≠ 0",
            "–",
            "–",
            "(context: every lease revoked, exit 0)",
            Verdict.Info,
            [
                $"Exit codes: {string.Join(", ", exits.GroupBy(e => e).OrderBy(g => g.Key).Select(g => $"{g.Count()}× {g.Key}"))}{(failed > 0 ? WhyNotZero(agents, exits) : string.Empty)}.",
                $"Revoke requests through the proxy: {revokes.Count}; answered {string.Join(", ", answered.GroupBy(r => r.Status).OrderBy(g => g.Key).Select(g => $"{g.Count()}× {g.Key}"))}; {revokes.Count - answered.Count} never answered (the agent gave up first); the slowest answer took {Measurements.F(slowest.TotalSeconds)} s. Renewal and revocation limits are off in this emulator.",
            ]));
    }

    /// <summary>Why the first agent that did not exit with 0 did not: its failed revocation, crash or shutdown summary.</summary>
    private static string WhyNotZero(List<ChildProcess> agents, int[] exits)
    {
        var index = Array.FindIndex(exits, e => e != 0);
        if (exits[index] == -1)
        {
            return $" ({agents[index].Name} had not exited 60 s after SIGTERM)";
        }

        var events = AgentLogEvent.Parse(agents[index].Lines);
        var problem = events.LastOrDefault(e => e.EventId is 109 or AgentLogEvent.SupervisorCrashed)
            ?? events.LastOrDefault(e => e.EventId == AgentLogEvent.ShutdownComplete);
        return problem is null ? string.Empty : $"; e.g. {agents[index].Name}: \"{problem.Message}\"";
    }

    /// <summary>Per agent, in order: runs of consecutive 429s, and retries sent before Retry-After had passed.</summary>
    private static (int LongestStreak, int AgentsOverStreak, int EarlyRetries, TimeSpan? Earliest) RetryAfterChecks(List<ProxiedRequest> generates)
    {
        var longest = 0;
        var over = 0;
        var early = 0;
        TimeSpan? earliest = null;
        foreach (var agent in generates.GroupBy(r => r.Agent))
        {
            var requests = agent.OrderBy(r => r.Received).ToList();
            var streak = 0;
            var agentLongest = 0;
            for (var i = 0; i < requests.Count; i++)
            {
                streak = requests[i].Status == 429 ? streak + 1 : 0;
                agentLongest = Math.Max(agentLongest, streak);
                if (requests[i] is { Status: 429, RetryAfterSeconds: { } retryAfter } && i + 1 < requests.Count)
                {
                    var waited = Stopwatch.GetElapsedTime(requests[i].Answered, requests[i + 1].Received);
                    var shortBy = TimeSpan.FromSeconds(retryAfter) - waited;
                    if (shortBy > Tolerance)
                    {
                        early++;
                        earliest = earliest is { } e && e > shortBy ? e : shortBy;
                    }
                }
            }

            longest = Math.Max(longest, agentLongest);
            over += agentLongest > MaxRejectionsInARow ? 1 : 0;
        }

        return (longest, over, early, earliest);
    }

    /// <summary>Events 107 for <c>rate_limited</c>: the delay the agent chose against the server's Retry-After.</summary>
    private static (int Logged, int Violations, string Codes) LoggedRetryChecks(List<ChildProcess> agents)
    {
        var logged = 0;
        var violations = 0;
        var failures = agents.SelectMany(a => AgentLogEvent.Parse(a.Lines)).Where(e => e.EventId == AgentLogEvent.AcquireFailed).ToList();
        var codes = string.Join(", ", failures.GroupBy(e => e.TextOf("Code")).Select(g => $"{g.Count()}× {g.Key} (retrying in {Measurements.F(g.Min(e => e.NumberOf("RetryInSeconds") ?? 0))}–{Measurements.F(g.Max(e => e.NumberOf("RetryInSeconds") ?? 0))} s)"));
        foreach (var e in failures.Where(e => e.TextOf("Code") == "rate_limited"))
        {
            logged++;
            var match = RetryAfterInMessage().Match(e.TextOf("Message") ?? string.Empty);
            if (match.Success && e.NumberOf("RetryInSeconds") is { } retryIn && retryIn < double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture))
            {
                violations++;
            }
        }

        return (logged, violations, codes.Length == 0 ? "none" : codes);
    }

    /// <summary>
    /// A rolling shutdown: SIGTERM to <see cref="ShutdownWave"/> agents at a time, the next wave once they have
    /// exited. Returns the exit codes and the time until the last exit.
    /// </summary>
    private static async Task<(int[] Exits, TimeSpan Stopped)> StopAllAsync(List<ChildProcess> agents)
    {
        var clock = Stopwatch.StartNew();
        var exits = new List<int>(agents.Count);
        foreach (var wave in agents.Chunk(ShutdownWave))
        {
            foreach (var agent in wave.Where(a => !a.HasExited))
            {
                agent.Signal(ChildProcess.SigTerm);
            }

            exits.AddRange(await Task.WhenAll(wave.Select(async a =>
            {
                try
                {
                    await a.WaitForExitAsync(TimeSpan.FromSeconds(60));
                    return a.ExitCode;
                }
                catch (HarnessException)
                {
                    return -1;
                }
                finally
                {
                    await a.DisposeAsync();
                }
            })));
        }

        return ([.. exits], clock.Elapsed);
    }

    [GeneratedRegex(@"retry after (\d+) s")]
    private static partial Regex RetryAfterInMessage();
}
