using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Running;
using LeaseAgent.Benchmarks.Infrastructure;

namespace LeaseAgent.Benchmarks.Micro;

/// <summary>
/// BenchmarkDotNet micro-benchmarks of the agent's hot pure code: <c>-- micro</c> runs them all, and
/// BenchmarkDotNet's own options follow (<c>-- micro --filter *Renewal*</c>, <c>--job short</c>, …). They run in
/// process (<c>--inProcess</c>, JIT, not AOT): they compare code paths, not the published binary.
/// </summary>
public static class MicroBenchmarks
{
    public static void Run(string[] args)
    {
        var config = DefaultConfig.Instance
            .AddDiagnoser(MemoryDiagnoser.Default)
            .WithArtifactsPath(Path.Combine(RepositoryRoot.Path, "artifacts", "bench", "micro"));

        // In process: the harness is not a project BenchmarkDotNet can rebuild on its own. Without a filter
        // BenchmarkDotNet would ask which benchmark to run.
        List<string> arguments = [.. args];
        if (!arguments.Contains("--inProcess"))
        {
            arguments.Add("--inProcess");
        }

        if (!arguments.Any(a => a is "--filter" or "-f"))
        {
            arguments.AddRange(["--filter", "*"]);
        }

        BenchmarkSwitcher.FromTypes([typeof(CredentialFormatterBenchmarks), typeof(AtomicFileWriterBenchmarks), typeof(RenewalScheduleBenchmarks)]).Run([.. arguments], config);
    }
}
