using System.Diagnostics;
using System.Runtime.Versioning;
using LeaseAgent.Benchmarks.Figures;
using LeaseAgent.Benchmarks.Infrastructure;
using LeaseAgent.Benchmarks.Micro;

// /proc, signals and Unix file modes: the agent's platforms.
[assembly: SupportedOSPlatform("linux")]

namespace LeaseAgent.Benchmarks;

/// <summary>
/// The benchmark harness of the published Native AOT <c>lease-agent</c>; see <see cref="BenchOptions.Usage"/>.
/// Each figure is printed beside a baseline measured in the same run, because the machine is shared and noisy.
/// </summary>
public static class Program
{
    public static async Task<int> Main(string[] args)
    {
        if (args.Length > 0 && args[0] == "micro")
        {
            MicroBenchmarks.Run(args[1..]);
            return 0;
        }

        BenchOptions options;
        try
        {
            options = BenchOptions.Parse(args);
        }
        catch (ArgumentException e)
        {
            await Console.Error.WriteLineAsync($"lease-agent benchmarks: {e.Message}\n{BenchOptions.Usage}");
            return 2;
        }

        try
        {
            var report = await RunAsync(options, "dotnet run -c Release --project tests/LeaseAgent.Benchmarks -- " + string.Join(' ', args));
            report.Print(Console.Out);
            if (options.WritePath is { } path)
            {
                report.Write(path);
                Console.Out.WriteLine($"wrote {Path.GetFullPath(path)}");
            }

            return 0;
        }
        catch (HarnessException e)
        {
            await Console.Error.WriteLineAsync($"lease-agent benchmarks: the harness failed: {e.Message}");
            return 1;
        }
    }

    private static async Task<Report> RunAsync(BenchOptions options, string commandLine)
    {
        var wall = Stopwatch.StartNew();
        var machine = MachineInfo.Describe();
        var report = new Report(machine, options, commandLine);
        Progress($"{options.Mode} mode, {options.Runs} run(s); commit {machine.Commit}; load average {machine.LoadAtStart}");

        var binaries = await Binaries.PrepareAsync(options.Publish);
        await using (var bench = await Bench.StartAsync(options, binaries))
        {
            var bare = new BareClientBaseline();
            var first = new FirstCredential(bare);
            var steady = new SteadyState();
            var rotation = new Rotation(bare);
            var shutdown = new Shutdown(bare);

            for (var run = 1; run <= options.Runs; run++)
            {
                // Baseline and agent alternate, so that both see the same moments of a noisy machine.
                Progress($"run {run}/{options.Runs}: figure 1, {options.StartsPerRun} cold starts each of the bare client and the agent");
                for (var i = 0; i < options.StartsPerRun; i++)
                {
                    await bare.RunAsync(bench);
                    if (options.Measures(1))
                    {
                        await first.MeasureAsync(bench);
                    }
                }

                if (options.Measures(2) || options.Measures(3))
                {
                    Progress($"run {run}/{options.Runs}: figures 2 and 3, memory and idle CPU");
                    await steady.MeasureAsync(bench);
                }

                if (options.Measures(6))
                {
                    Progress($"run {run}/{options.Runs}: figure 6, shutdown");
                    await shutdown.MeasureAsync(bench);
                }

                if (options.Measures(4))
                {
                    Progress($"run {run}/{options.Runs}: figure 4, {options.RotationsPerRun} rotations");
                    await rotation.MeasureAsync(bench);
                }
            }

            // Quick mode runs figure 5 beside the fleet of figure 7, to stay within CI's few minutes: the fleet's
            // figures are whole seconds against a 60 s window, and figure 5 counts failures, not milliseconds.
            var queries = new QueriesDuringRotation();
            var fleet = new Fleet();
            var figure5 = Task.CompletedTask;
            if (options.Measures(5))
            {
                Progress($"figure 5: app queries during {options.QueryLoopRotations} rotations");
                figure5 = queries.MeasureAsync(bench);
                if (!options.Quick)
                {
                    await figure5;
                }
            }

            var figure7 = Task.CompletedTask;
            if (options.Measures(7))
            {
                Progress($"figure 7: a fleet of {options.FleetSize} agents vs {options.FleetLimit} generations/min{(options.Quick && options.Measures(5) ? ", beside figure 5" : string.Empty)}");
                figure7 = fleet.MeasureAsync(bench);
            }

            await Task.WhenAll(figure5, figure7);

            if (options.Measures(1))
            {
                report.Add(first.Result());
            }

            if (options.Measures(2) || options.Measures(3))
            {
                report.AddRange(steady.Results(bench));
            }

            if (options.Measures(4))
            {
                report.Add(rotation.Result());
            }

            report.AddRange(queries.Results);

            if (options.Measures(6))
            {
                report.Add(shutdown.Result());
            }

            report.AddRange(fleet.Results);
            if (options.Measures(8))
            {
                report.Add(BinarySize.Measure(bench));
            }

            if (options.Measures(9))
            {
                Progress($"figure 9: the CSI provider, {options.CsiPods} Mounts at once, {options.CsiMounts} in all");
                var csi = new CsiProvider();
                await csi.MeasureAsync(bench);
                report.AddRange(csi.Results);
            }

            if (options.Measures(10))
            {
                Progress($"figure 10: soak, memory across {options.SoakRotations} rotations under the app's query loop; beside it, 10d: {LeaseTimeline.Duration.TotalSeconds:0} s of one agent's time left per lease");
                var soak = new Soak();
                var timeline = new LeaseTimeline();

                // Beside the soak: it measures memory, not time, and the timeline's own agent is another process.
                await Task.WhenAll(soak.MeasureAsync(bench), timeline.MeasureAsync(bench));
                report.AddRange(soak.Results);
                if (timeline.Result is { } result)
                {
                    report.Add(result);
                }
            }

            if (options.Measures(11))
            {
                Progress("figure 11: working set of the agent's own cgroup, image pages cached");
                var workingSet = new WorkingSet();
                await workingSet.MeasureAsync(bench);
                report.Add(workingSet.Result());
            }
        }

        machine.LoadAtEnd = ProcFs.LoadAverage();
        report.WallTime = wall.Elapsed;
        return report;
    }

    private static void Progress(string message) => Console.Error.WriteLine($"[{DateTime.Now:HH:mm:ss}] {message}");
}
