using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using Xunit.Abstractions;

namespace LeaseAgent.ChaosTests.Harness;

/// <summary>
/// Runs <c>CHAOS_ITERATIONS</c> iterations of one scenario on one or more lanes. Each lane has its own emulator
/// (faults and restarts stay within it) and runs iterations one after another. A failing iteration does not stop
/// the others (a long run should find everything there is); the scenario fails at the end naming the seed and
/// the failed iterations, whose logs (the first ten) are written to disk.
/// </summary>
public sealed class ScenarioRunner(ChaosRun run, ITestOutputHelper output, int number, string name)
{
    private const int MaxDumps = 10;
    private readonly ConcurrentDictionary<string, int> _tallies = new(StringComparer.Ordinal);

    public string Name { get; } = name;

    public void Log(string message)
    {
        try
        {
            output.WriteLine(message);
        }
        catch (InvalidOperationException)
        {
            // The test already finished (a late background message): nothing to attach it to.
        }
    }

    public void Tally(string what) => _tallies.AddOrUpdate(what, 1, (_, n) => n + 1);

    /// <param name="lanes">The scenario's default; <c>CHAOS_LANES</c> overrides it.</param>
    /// <param name="lane">Starts a lane's emulator (and server).</param>
    /// <param name="body">One iteration; it throws when an invariant that is not a counter breaks.</param>
    /// <param name="iterations">Overrides <c>CHAOS_ITERATIONS</c>.</param>
    public async Task RunAsync(int lanes, Func<Task<ChaosLane>> lane, Func<Iteration, Task> body, int? iterations = null)
    {
        var indices = new ConcurrentQueue<int>(run.Settings.OnlyIteration is { } only && iterations is null ? [only] : Enumerable.Range(0, iterations ?? run.Settings.Iterations));
        var total = indices.Count;
        lanes = Math.Min(run.Settings.Lanes ?? lanes, total);
        var clock = Stopwatch.StartNew();
        var failures = new ConcurrentQueue<string>();
        Log($"{Name}: {total} iteration(s) on {lanes} lane(s), seed {run.Settings.Seed}");

        async Task LaneAsync()
        {
            await using var laneEmulator = await lane();
            while (indices.TryDequeue(out var index))
            {
                var iteration = new Iteration(run, this, index, laneEmulator, run.Settings.RandomFor(number, index));
                var started = Stopwatch.StartNew();
                var succeeded = false;
                try
                {
                    await body(iteration);
                    succeeded = true;
                }
                catch (Exception e)
                {
                    failures.Enqueue($"{iteration.Label} failed (replay: CHAOS_SEED={run.Settings.Seed} CHAOS_ITERATION={index} --filter Scenario{number}): {e}");
                }

                try
                {
                    await iteration.CleanUpAsync(succeeded, dumpLogs: run.Settings.KeepLogs || (!succeeded && failures.Count <= MaxDumps));
                }
                catch (Exception e)
                {
                    succeeded = false;
                    failures.Enqueue($"{iteration.Label}: cleaning up failed: {e}");
                }

                iteration.Log($"{(succeeded ? "passed" : "FAILED")} in {started.Elapsed.TotalSeconds:0.0} s");
            }
        }

        await Task.WhenAll(Enumerable.Range(0, lanes).Select(_ => Task.Run(LaneAsync)));
        var tallies = string.Join(", ", _tallies.OrderBy(t => t.Key, StringComparer.Ordinal).Select(t => string.Create(CultureInfo.InvariantCulture, $"{t.Key}={t.Value}")));
        Log($"{Name}: done in {clock.Elapsed.TotalSeconds:0.0} s; {tallies}");
        Log("run totals so far: " + run.Counters.Figures());
        Assert.True(failures.IsEmpty, $"{failures.Count} of {total} iteration(s) failed; the first:\n\n{string.Join("\n\n", failures.Take(3))}");
    }
}
