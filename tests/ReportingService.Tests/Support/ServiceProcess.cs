using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using LeaseAgent.Testing;

namespace ReportingService.Tests.Support;

/// <summary>
/// The built service (<c>ReportingService.dll</c>, copied next to the tests with its runtimeconfig) running as
/// a real child process, as it runs next to lease-agent: configured by environment variables only, listening
/// on a loopback port the kernel picks, its output kept line by line, and signals sent with <c>kill</c>.
/// </summary>
public sealed partial class ServiceProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _lines = new();
    private bool _disposed;

    private ServiceProcess(Process process)
    {
        _process = process;
        _process.OutputDataReceived += (_, e) => { if (e.Data is not null) _lines.Enqueue(e.Data); };
        _process.ErrorDataReceived += (_, e) => { if (e.Data is not null) _lines.Enqueue(e.Data); };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public string Output => string.Join('\n', _lines);

    public int Pid => _process.Id;

    public bool HasExited => _process.HasExited;

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
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
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

        return new ServiceProcess(Process.Start(start)!);
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
            ? throw new InvalidOperationException($"the service exited with {_process.ExitCode} before listening:\n{Output}")
            : new Uri(address + "/");
    }

    /// <summary>Sends a signal with <c>kill -NAME pid</c>, as lease-agent's <c>RELOAD_SIGNAL</c> would.</summary>
    public void Signal(string name)
    {
        using var kill = Process.Start("kill", [$"-{name}", _process.Id.ToString(CultureInfo.InvariantCulture)]);
        kill.WaitForExit();
        if (kill.ExitCode != 0)
        {
            throw new InvalidOperationException($"kill -{name} {_process.Id} failed with {kill.ExitCode}");
        }
    }

    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        await _process.WaitForExitAsync().WaitAsync(timeout);
        _process.WaitForExit(); // drains the asynchronous output readers
        return _process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        if (!_process.HasExited)
        {
            _process.Kill();
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }

    [GeneratedRegex(@"Now listening on: (http://127\.0\.0\.1:\d+)")]
    private static partial Regex ListeningOn();
}
