using System.Diagnostics;

namespace LeaseAgent.Benchmarks.Infrastructure;

/// <summary>
/// The three Native AOT programs the harness runs, published with the README's command into
/// <c>artifacts/bench</c> (its own artifacts path, so it never shares intermediate files with a test run's
/// publish). <c>LEASEAGENT_BINARY</c> names an agent binary to use instead; <c>--no-publish</c> reuses the last
/// publish.
/// </summary>
public sealed record Binaries(string Agent, string BareClient, string IdleHost)
{
    public const string AgentVariable = "LEASEAGENT_BINARY";

    private const int Attempts = 3;

    public static async Task<Binaries> PrepareAsync(bool publish)
    {
        var root = Path.Combine(RepositoryRoot.Path, "artifacts", "bench");
        var configured = Environment.GetEnvironmentVariable(AgentVariable);
        string agent;
        if (!string.IsNullOrWhiteSpace(configured))
        {
            agent = File.Exists(configured) ? configured : throw new HarnessException($"{AgentVariable} names a missing file: {configured}");
        }
        else
        {
            agent = await PublishAsync(root, Path.Combine("src", "LeaseAgent", "LeaseAgent.csproj"), "agent", "lease-agent", publish);
        }

        var bare = await PublishAsync(root, Path.Combine("tests", "LeaseAgent.Benchmarks.BareClient", "LeaseAgent.Benchmarks.BareClient.csproj"), "bare-client", "bare-client", publish);
        var idle = await PublishAsync(root, Path.Combine("tests", "LeaseAgent.Benchmarks.IdleHost", "LeaseAgent.Benchmarks.IdleHost.csproj"), "idle-host", "idle-host", publish);
        return new Binaries(agent, bare, idle);
    }

    private static async Task<string> PublishAsync(string root, string project, string output, string binary, bool publish)
    {
        var path = Path.Combine(root, output, binary);
        if (!publish)
        {
            return File.Exists(path) ? path : throw new HarnessException($"--no-publish: {path} does not exist; publish once without it");
        }

        Console.Error.WriteLine($"  publishing {project} (Native AOT) …");
        var clock = Stopwatch.StartNew();
        string? failure = null;
        for (var attempt = 1; attempt <= Attempts; attempt++)
        {
            // The native compiler has crashed ("Bus error") while another publish ran beside it: try again.
            failure = await RunPublishAsync(Path.Combine(RepositoryRoot.Path, project), Path.Combine(root, "build"), Path.Combine(root, output));
            if (failure is null)
            {
                Console.Error.WriteLine($"  published {binary} in {clock.Elapsed.TotalSeconds:0} s");
                return path;
            }

            if (failure.Contains("error CS", StringComparison.Ordinal))
            {
                break; // the source does not compile: retrying will not help
            }

            Console.Error.WriteLine($"  publish attempt {attempt} failed; retrying");
        }

        throw new HarnessException($"dotnet publish {project} failed:\n{failure}");
    }

    private static async Task<string?> RunPublishAsync(string project, string artifacts, string output)
    {
        var start = new ProcessStartInfo("dotnet", ["publish", project, "-c", "Release", "-r", "linux-x64", "-o", output, "--artifacts-path", artifacts, "-nologo", "-v", "q"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };

        // `dotnet run` leaves MSBuild variables that would redirect the nested build; give it a clean slate.
        foreach (var key in start.Environment.Keys.Where(k => k.StartsWith("MSBuild", StringComparison.OrdinalIgnoreCase)).ToList())
        {
            start.Environment.Remove(key);
        }

        using var publish = Process.Start(start)!;
        var stdout = publish.StandardOutput.ReadToEndAsync();
        var stderr = publish.StandardError.ReadToEndAsync();
        await publish.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(10));
        return publish.ExitCode == 0 ? null : $"exit code {publish.ExitCode}:\n{await stdout}\n{await stderr}";
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
