using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;

namespace LeaseAgent.Testing;

/// <summary>
/// A <c>lease-agent</c> running as a real process, its output (stdout and stderr) kept line by line. The other
/// processes the tests start (the sample ReportingService) use it too, through <see cref="Start(ProcessStartInfo, string)"/>.
/// </summary>
public sealed class AgentProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _lines = new();
    private bool _disposed;

    private AgentProcess(Process process, string name)
    {
        _process = process;
        Name = name;
        _process.OutputDataReceived += (_, e) => { if (e.Data is not null) _lines.Enqueue(e.Data); };
        _process.ErrorDataReceived += (_, e) => { if (e.Data is not null) _lines.Enqueue(e.Data); };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    /// <summary>How the test calls this agent in its messages (agent1, agent2… when a pod restarts it).</summary>
    public string Name { get; }

    public IReadOnlyCollection<string> Lines => _lines;

    public string Output => string.Join('\n', _lines);

    public int Pid => _process.Id;

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    /// <param name="environment">The agent's whole environment besides <c>PATH</c>: an inherited SCAIVAULT_* or DB_* would make the test lie.</param>
    public static AgentProcess Start(string binary, IReadOnlyDictionary<string, string> environment, IReadOnlyList<string> args, string name = "agent")
    {
        var start = new ProcessStartInfo(binary, args);
        start.Environment.Clear();
        start.Environment["PATH"] = Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin";
        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }

        return Start(start, name);
    }

    /// <summary>Starts any process with its output kept the same way.</summary>
    public static AgentProcess Start(ProcessStartInfo start, string name)
    {
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        start.UseShellExecute = false;
        return new AgentProcess(Process.Start(start)!, name);
    }

    public bool Logged(string text) => _lines.Any(l => l.Contains(text, StringComparison.Ordinal));

    /// <summary>
    /// When the agent logged the first JSON line (<c>LOG_FORMAT=json</c>) containing <paramref name="text"/>, by its own
    /// clock: a timing assertion between two of the agent's events cannot be upset by how late the test looked.
    /// </summary>
    public DateTimeOffset? LoggedAt(string text)
    {
        var line = _lines.FirstOrDefault(l => l.StartsWith('{') && l.Contains(text, StringComparison.Ordinal));
        return line is null ? null : System.Text.Json.Nodes.JsonNode.Parse(line)!["Timestamp"]!.GetValue<DateTimeOffset>();
    }

    public void Kill() => _process.Kill();

    /// <summary>SIGTERM, as the kubelet sends it; an agent that has already exited is not an error.</summary>
    public void Terminate() => Signal("TERM");

    /// <summary>Sends a signal with <c>kill -NAME pid</c>; a process that has already exited is not an error.</summary>
    public void Signal(string name)
    {
        using var kill = Process.Start("kill", [$"-{name}", _process.Id.ToString(CultureInfo.InvariantCulture)]);
        kill.WaitForExit();
        if (kill.ExitCode != 0 && !_process.HasExited)
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
        }

        await _process.WaitForExitAsync();
        _process.WaitForExit();
        _process.Dispose();
    }
}
