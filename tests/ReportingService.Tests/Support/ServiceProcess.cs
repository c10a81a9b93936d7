using System.Text.RegularExpressions;
using LeaseAgent.Testing;

namespace ReportingService.Tests.Support;

/// <summary>
/// The built service (<c>ReportingService.dll</c>, copied next to the tests with its runtimeconfig) running as
/// a real child process, as it runs next to lease-agent: configured by environment variables only, listening
/// on a loopback port the kernel picks; output and signals as for the agent (<see cref="AgentProcess"/>).
/// </summary>
public sealed partial class ServiceProcess(AgentProcess process) : IAsyncDisposable
{
    public string Output => process.Output;

    public int Pid => process.Pid;

    public bool HasExited => process.HasExited;

    public static ServiceProcess Start(IReadOnlyDictionary<string, string> environment)
    {
        var dll = typeof(CredentialStore).Assembly.Location;
        if (!File.Exists(Path.ChangeExtension(dll, ".runtimeconfig.json")))
        {
            throw new InvalidOperationException($"{dll} has no runtimeconfig.json beside it; build the test project instead of copying the assembly");
        }

        var host = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } path && File.Exists(path) ? path : "dotnet";
        // The test sends this process SIGHUP: it must not inherit an ignored SIGHUP from the test run.
        var start = DefaultSighup.StartInfo(host, ["exec", dll]);
        start.WorkingDirectory = Path.GetDirectoryName(dll)!;

        // Only what the test sets (plus what the runtime needs to start): an inherited DB_* or ASPNETCORE_* would make the test lie.
        start.Environment.Clear();
        foreach (var inherited in new[] { "PATH", "HOME", "DOTNET_ROOT", "TMPDIR" })
        {
            if (Environment.GetEnvironmentVariable(inherited) is { } value)
            {
                start.Environment[inherited] = value;
            }
        }

        start.Environment["ASPNETCORE_URLS"] = "http://127.0.0.1:0";
        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }

        return new ServiceProcess(AgentProcess.Start(start, "reporting-service"));
    }

    /// <summary>Waits for Kestrel's "Now listening on" line and returns the address it bound.</summary>
    public async Task<Uri> WaitForAddressAsync(TimeSpan timeout)
    {
        var address = await Eventually.ReturnsAsync(
            () => Task.FromResult(HasExited ? "exited" : ListeningOn().Match(Output) is { Success: true } match ? match.Groups[1].Value : null),
            found => found is not null,
            timeout,
            "the service to listen");
        return address == "exited"
            ? throw new InvalidOperationException($"the service exited with {process.ExitCode} before listening:\n{Output}")
            : new Uri(address + "/");
    }

    /// <summary>Sends a signal with <c>kill -NAME pid</c>, as lease-agent's <c>RELOAD_SIGNAL</c> would.</summary>
    public void Signal(string name) => process.Signal(name);

    public Task<int> WaitForExitAsync(TimeSpan timeout) => process.WaitForExitAsync(timeout);

    public ValueTask DisposeAsync() => process.DisposeAsync();

    [GeneratedRegex(@"Now listening on: (http://127\.0\.0\.1:\d+)")]
    private static partial Regex ListeningOn();
}
