using System.Diagnostics;
using LeaseAgent.Testing;

namespace LeaseAgent.Benchmarks.Infrastructure;

/// <summary>
/// The Native AOT programs the harness runs, published with the README's command into <c>artifacts/bench</c> (its
/// own artifacts path, so it never shares intermediate files with a test run's publish) by the tests'
/// <see cref="PublishedBinary"/>. An environment variable names a binary to use instead (<c>LEASEAGENT_BINARY</c>
/// for the agent, <c>SCAIVAULT_CSI_PROVIDER_BINARY</c> for the CSI provider); <c>--no-publish</c> reuses the last
/// publish.
/// </summary>
public sealed record Binaries(string Agent, string BareClient, string IdleHost, string CsiProvider)
{
    public const string AgentVariable = AgentBinary.EnvironmentVariable;

    private const string Artifacts = "bench";

    private static readonly PublishedBinary AgentProgram = new("src/LeaseAgent/LeaseAgent.csproj", "lease-agent", "agent", AgentVariable);
    private static readonly PublishedBinary BareClientProgram = new("tests/LeaseAgent.Benchmarks.BareClient/LeaseAgent.Benchmarks.BareClient.csproj", "bare-client", "bare-client", "LEASEAGENT_BENCH_BARE_CLIENT_BINARY");
    private static readonly PublishedBinary IdleHostProgram = new("tests/LeaseAgent.Benchmarks.IdleHost/LeaseAgent.Benchmarks.IdleHost.csproj", "idle-host", "idle-host", "LEASEAGENT_BENCH_IDLE_HOST_BINARY");
    private static readonly PublishedBinary CsiProviderProgram = new("src/ScaiVault.CsiProvider/ScaiVault.CsiProvider.csproj", "scaivault-csi-provider", "provider", "SCAIVAULT_CSI_PROVIDER_BINARY");

    public static async Task<Binaries> PrepareAsync(bool publish) => new(
        await PrepareAsync(AgentProgram, publish),
        await PrepareAsync(BareClientProgram, publish),
        await PrepareAsync(IdleHostProgram, publish),
        await PrepareAsync(CsiProviderProgram, publish));

    private static async Task<string> PrepareAsync(PublishedBinary program, bool publish)
    {
        var configured = Environment.GetEnvironmentVariable(program.EnvironmentVariable);
        if (!publish && string.IsNullOrWhiteSpace(configured))
        {
            var path = Path.Combine(RepositoryRoot.Path, "artifacts", Artifacts, program.OutputName, program.Executable);
            return File.Exists(path) ? path : throw new HarnessException($"--no-publish: {path} does not exist; publish once without it");
        }

        if (string.IsNullOrWhiteSpace(configured))
        {
            Console.Error.WriteLine($"  publishing {program.Project} (Native AOT) …");
        }

        var clock = Stopwatch.StartNew();
        try
        {
            var binary = await program.GetPathAsync(Artifacts);
            Console.Error.WriteLine($"  {program.Executable}: {binary} ({clock.Elapsed.TotalSeconds:0} s)");
            return binary;
        }
        catch (Exception e) when (e is InvalidOperationException or FileNotFoundException)
        {
            throw new HarnessException(e.Message);
        }
    }
}

/// <summary>The repository's root: the nearest directory above the harness that holds <c>LeaseAgent.sln</c>.</summary>
public static class RepositoryRoot
{
    public static string Path { get; } = Find();

    private static string Find()
    {
        foreach (var start in new[] { AppContext.BaseDirectory, Environment.CurrentDirectory })
        {
            for (var directory = new DirectoryInfo(start); directory is not null; directory = directory.Parent)
            {
                if (File.Exists(System.IO.Path.Combine(directory.FullName, "LeaseAgent.sln")))
                {
                    return directory.FullName;
                }
            }
        }

        throw new HarnessException("cannot find the repository root (LeaseAgent.sln) above the harness");
    }
}
