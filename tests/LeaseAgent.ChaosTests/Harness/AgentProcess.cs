using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

namespace LeaseAgent.ChaosTests.Harness;

/// <summary>A <c>lease-agent</c> running as a real process, its output kept line by line until it is scanned.</summary>
public sealed partial class AgentProcess : IAsyncDisposable
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

    public string Name { get; }

    public IReadOnlyCollection<string> Lines => _lines;

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    public static AgentProcess Start(string binary, IReadOnlyDictionary<string, string> environment, string name)
    {
        var start = new ProcessStartInfo(binary, ["run"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };

        // Only what the test sets: an inherited SCAIVAULT_* or DB_* would make the test lie.
        start.Environment.Clear();
        start.Environment["PATH"] = Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin";
        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }

        return new AgentProcess(Process.Start(start)!, name);
    }

    /// <summary>
    /// Where the agent stood when this was called, from its transition log lines: the state the newest lease last
    /// entered, prefixed with "rotation:" when an older generation was already published, and suffixed with
    /// "+Retiring" while an older lease drains.
    /// </summary>
    public string Phase()
    {
        var states = new SortedDictionary<int, string>();
        var published = 0;
        foreach (var line in _lines)
        {
            var transition = TransitionPattern().Match(line);
            if (transition.Success)
            {
                states[int.Parse(transition.Groups["generation"].Value, CultureInfo.InvariantCulture)] = transition.Groups["to"].Value;
            }

            var publish = PublishedPattern().Match(line);
            if (publish.Success)
            {
                published = Math.Max(published, int.Parse(publish.Groups["generation"].Value, CultureInfo.InvariantCulture));
            }
        }

        if (states.Count == 0)
        {
            return "starting";
        }

        var (newest, state) = states.Last();
        var phase = published > 0 && newest > published ? "rotation:" + state : state;
        return states.Any(s => s.Key < newest && s.Value == "Retiring") ? phase + "+Retiring" : phase;
    }

    public bool Logged(string text) => _lines.Any(l => l.Contains(text, StringComparison.Ordinal));

    public void Kill() => _process.Kill();

    public void Terminate()
    {
        using var kill = Process.Start("kill", ["-TERM", _process.Id.ToString(CultureInfo.InvariantCulture)]);
        kill.WaitForExit();
        if (kill.ExitCode != 0 && !_process.HasExited)
        {
            throw new InvalidOperationException($"kill -TERM {_process.Id} failed with {kill.ExitCode}");
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

    [GeneratedRegex(@"Lease generation (?<generation>\d+) \([^)]*\): (?<from>\w+) -> (?<to>\w+)")]
    private static partial Regex TransitionPattern();

    [GeneratedRegex(@"Published generation (?<generation>\d+) as user")]
    private static partial Regex PublishedPattern();
}
