using System.Collections.Concurrent;
using System.Diagnostics;

namespace LeaseAgent.Testing;

/// <summary>
/// The published Native AOT <c>lease-agent</c>: the one named by <c>LEASEAGENT_BINARY</c>, or published once per
/// test run with the README's command. Each test project publishes into its own <c>artifacts/&lt;name&gt;</c>, so it
/// never shares intermediate files with a publish of another test project running at the same time.
/// </summary>
public static class AgentBinary
{
    public const string EnvironmentVariable = "LEASEAGENT_BINARY";

    private const int Attempts = 3;

    private static readonly ConcurrentDictionary<string, Lazy<Task<string>>> Published = new(StringComparer.Ordinal);

    /// <param name="artifacts">The directory under <c>artifacts/</c> this test project publishes into.</param>
    public static Task<string> GetPathAsync(string artifacts) =>
        Published.GetOrAdd(artifacts, name => new Lazy<Task<string>>(() => PublishAsync(name))).Value;

    private static async Task<string> PublishAsync(string artifacts)
    {
        var configured = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (!string.IsNullOrWhiteSpace(configured))
        {
            return File.Exists(configured) ? configured : throw new FileNotFoundException($"{EnvironmentVariable} names a missing file", configured);
        }

        var root = Path.Combine(RepositoryRoot.Path, "artifacts", artifacts);
        var output = Path.Combine(root, "agent");
        string? failure = null;
        for (var attempt = 1; attempt <= Attempts; attempt++)
        {
            // The native compiler has crashed ("Bus error") when another publish ran beside it: try again.
            failure = await RunPublishAsync(Path.Combine(root, "build"), output);
            if (failure is null)
            {
                return Path.Combine(output, "lease-agent");
            }

            if (failure.Contains("error CS", StringComparison.Ordinal))
            {
                break; // the source does not compile (yet): retrying will not help
            }
        }

        throw new InvalidOperationException($"dotnet publish of the agent failed:\n{failure}");
    }

    private static async Task<string?> RunPublishAsync(string artifacts, string output)
    {
        var project = Path.Combine(RepositoryRoot.Path, "src", "LeaseAgent", "LeaseAgent.csproj");
        var start = new ProcessStartInfo("dotnet", ["publish", project, "-c", "Release", "-r", "linux-x64", "-o", output, "--artifacts-path", artifacts, "-nologo", "-v", "q"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };

        // The test host's MSBuild variables would redirect the nested build; give it a clean slate.
        foreach (var key in start.Environment.Keys.Where(k => k.StartsWith("MSBuild", StringComparison.OrdinalIgnoreCase) || k.StartsWith("VSTEST", StringComparison.OrdinalIgnoreCase)).ToList())
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
