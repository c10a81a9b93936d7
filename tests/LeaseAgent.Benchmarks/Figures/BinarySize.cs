using LeaseAgent.Benchmarks.Infrastructure;

namespace LeaseAgent.Benchmarks.Figures;

/// <summary>Figure 8: the size of the published <c>lease-agent</c> (without its <c>.dbg</c> symbols file).</summary>
public static class BinarySize
{
    private const double GoalMB = 20;

    public static FigureResult Measure(Bench bench)
    {
        static double Mb(string path) => new FileInfo(path).Length / 1e6;

        var agent = Mb(bench.Binaries.Agent);
        var idle = Mb(bench.Binaries.IdleHost);
        var bare = Mb(bench.Binaries.BareClient);
        return new FigureResult(
            "8",
            "Binary size (lease-agent, stripped of .dbg)",
            $"{Measurements.F(agent)} MB",
            $"{Measurements.F(idle)} MB (idle host)",
            Measurements.Ratio(agent, idle),
            $"≤ {GoalMB:0} MB",
            agent <= GoalMB ? Verdict.Holds : Verdict.Misses,
            [
                $"lease-agent {new FileInfo(bench.Binaries.Agent).Length:N0} bytes ({Measurements.F(agent * 1e6 / 1024 / 1024)} MiB); bare client (HttpClient + Npgsql) {Measurements.F(bare)} MB; idle host (Microsoft.Extensions.Hosting) {Measurements.F(idle)} MB. MB = 10^6 bytes.",
            ]);
    }
}
