using System.Collections.Concurrent;
using System.Diagnostics;

namespace LeaseAgent.Testing;

/// <summary>
/// A Native AOT executable of this repository, published once per test run with the README's command (or the file an
/// environment variable names instead). Each test project publishes into its own <c>artifacts/&lt;name&gt;</c>, so it
/// never shares intermediate files with a publish of another test project running at the same time.
/// </summary>
/// <param name="Project">The project, relative to the repository root, e.g. <c>src/LeaseAgent/LeaseAgent.csproj</c>.</param>
/// <param name="Executable">The published file's name, e.g. <c>lease-agent</c>.</param>
/// <param name="OutputName">The directory under <c>artifacts/&lt;name&gt;/</c> it is published into.</param>
/// <param name="EnvironmentVariable">Names a binary to test instead of publishing one.</param>
public sealed record PublishedBinary(string Project, string Executable, string OutputName, string EnvironmentVariable)
{
    private const int Attempts = 3;

    private static readonly ConcurrentDictionary<(PublishedBinary, string), Lazy<Task<string>>> Published = new();

    /// <param name="artifacts">The directory under <c>artifacts/</c> this test project publishes into.</param>
    public Task<string> GetPathAsync(string artifacts) =>
        Published.GetOrAdd((this, artifacts), key => new Lazy<Task<string>>(() => key.Item1.PublishAsync(key.Item2))).Value;

    private async Task<string> PublishAsync(string artifacts)
    {
        var configured = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (!string.IsNullOrWhiteSpace(configured))
        {
            return File.Exists(configured) ? configured : throw new FileNotFoundException($"{EnvironmentVariable} names a missing file", configured);
        }

        var root = Path.Combine(RepositoryRoot.Path, "artifacts", artifacts);
        var output = Path.Combine(root, OutputName);
        string? failure = null;
        for (var attempt = 1; attempt <= Attempts; attempt++)
        {
            // The native compiler has crashed ("Bus error") when another publish ran beside it: try again.
            failure = await RunPublishAsync(Path.Combine(root, "build"), output);
            if (failure is null)
            {
                return Path.Combine(output, Executable);
            }

            if (failure.Contains("error CS", StringComparison.Ordinal))
            {
                break; // the source does not compile (yet): retrying will not help
            }
        }

        throw new InvalidOperationException($"dotnet publish of {Executable} failed:\n{failure}");
    }

    private async Task<string?> RunPublishAsync(string artifacts, string output)
    {
        var project = Path.Combine(RepositoryRoot.Path, Project);
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
