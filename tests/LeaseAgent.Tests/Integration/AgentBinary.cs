using System.Diagnostics;

namespace LeaseAgent.Tests.Integration;

/// <summary>
/// The published Native AOT <c>lease-agent</c>: the one named by <c>LEASEAGENT_BINARY</c>, or published once
/// per test run with the same command the README gives.
/// </summary>
public static class AgentBinary
{
    public const string EnvironmentVariable = "LEASEAGENT_BINARY";

    private static readonly Lazy<Task<string>> Published = new(PublishAsync);

    public static Task<string> GetPathAsync() => Published.Value;

    private static async Task<string> PublishAsync()
    {
        var configured = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (!string.IsNullOrWhiteSpace(configured))
        {
            return File.Exists(configured) ? configured : throw new FileNotFoundException($"{EnvironmentVariable} names a missing file", configured);
        }

        var output = Path.Combine(RepositoryRoot.Path, "artifacts", "test-aot");
        var start = new ProcessStartInfo("dotnet", ["publish", Path.Combine(RepositoryRoot.Path, "src", "LeaseAgent", "LeaseAgent.csproj"), "-c", "Release", "-r", "linux-x64", "-o", output, "-nologo", "-v", "q"])
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
        await publish.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(8));
        if (publish.ExitCode != 0)
        {
            throw new InvalidOperationException($"dotnet publish failed ({publish.ExitCode}):\n{await stdout}\n{await stderr}");
        }

        return Path.Combine(output, "lease-agent");
    }
}
