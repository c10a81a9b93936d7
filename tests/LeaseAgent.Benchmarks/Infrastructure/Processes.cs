using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;

namespace LeaseAgent.Benchmarks.Infrastructure;

/// <summary>One line a child process wrote, with the moment the harness read it.</summary>
public sealed record OutputLine(long Timestamp, string Text);

/// <summary>
/// A child process (the agent or a baseline program) started with exactly the environment given, its output
/// kept line by line. <see cref="StartTimestamp"/> is taken immediately before <c>fork</c>, so "time since
/// start" includes the cost of starting a process, the same for the agent and its baselines.
/// </summary>
public sealed partial class ChildProcess : IAsyncDisposable
{
    public const int SigTerm = 15;

    private readonly Process _process;
    private readonly ConcurrentQueue<OutputLine> _lines = new();

    private ChildProcess(string name, Process process, long startTimestamp, DateTimeOffset startUtc)
    {
        Name = name;
        _process = process;
        StartTimestamp = startTimestamp;
        StartUtc = startUtc;
        _process.OutputDataReceived += (_, e) => Keep(e.Data);
        _process.ErrorDataReceived += (_, e) => Keep(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public string Name { get; }

    public int Pid => _process.Id;

    /// <summary>Stopwatch timestamp taken just before the process was started.</summary>
    public long StartTimestamp { get; }

    /// <summary>The wall clock at <see cref="StartTimestamp"/>, to place the process's own log timestamps.</summary>
    public DateTimeOffset StartUtc { get; }

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    public IReadOnlyCollection<OutputLine> Lines => _lines;

    public string Output => string.Join('\n', _lines.Select(l => l.Text));

    /// <param name="workingDirectory">Its own directory, so that nothing it does touches the repository.</param>
    public static ChildProcess Start(string name, string binary, IReadOnlyDictionary<string, string> environment, string workingDirectory, params string[] args)
    {
        var start = new ProcessStartInfo(binary, args)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory,
        };

        // Only what the benchmark sets: an inherited DOTNET_* knob or SCAIVAULT_* key would falsify a figure.
        start.Environment.Clear();
        start.Environment["PATH"] = Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin";
        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }

        var utc = DateTimeOffset.UtcNow;
        var timestamp = Stopwatch.GetTimestamp();
        var process = Process.Start(start) ?? throw new HarnessException($"{name}: could not start {binary}");
        return new ChildProcess(name, process, timestamp, utc);
    }

    /// <summary>Sends a signal with kill(2) and returns the Stopwatch timestamp taken just before it.</summary>
    public long Signal(int signal)
    {
        var timestamp = Stopwatch.GetTimestamp();
        if (KillNative(_process.Id, signal) != 0)
        {
            throw new HarnessException($"{Name}: kill({_process.Id}, {signal}) failed with errno {Marshal.GetLastPInvokeError()}");
        }

        return timestamp;
    }

    /// <summary>Waits for the exit and returns the Stopwatch timestamp at which it was seen.</summary>
    public async Task<long> WaitForExitAsync(TimeSpan timeout)
    {
        try
        {
            await _process.WaitForExitAsync().WaitAsync(timeout);
        }
        catch (TimeoutException)
        {
            throw new HarnessException($"{Name} (pid {Pid}) did not exit within {timeout.TotalSeconds:0} s");
        }

        var exited = Stopwatch.GetTimestamp();
        _process.WaitForExit(); // drains the asynchronous output readers
        return exited;
    }

    /// <summary>SIGTERM, then the exit; SIGKILL if it takes longer than <paramref name="timeout"/>.</summary>
    public async Task<int> StopAsync(TimeSpan timeout)
    {
        if (!_process.HasExited)
        {
            Signal(SigTerm);
            try
            {
                await WaitForExitAsync(timeout);
            }
            catch (HarnessException)
            {
                _process.Kill();
                await _process.WaitForExitAsync();
                throw;
            }
        }

        return _process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }

    private void Keep(string? line)
    {
        if (line is not null)
        {
            _lines.Enqueue(new OutputLine(Stopwatch.GetTimestamp(), line));
        }
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int KillNative(int pid, int signal);
}

/// <summary>What <c>/proc</c> says about a process: resident memory and CPU time.</summary>
public static class ProcFs
{
    /// <summary>USER_HZ: the unit of utime and stime in <c>/proc/&lt;pid&gt;/stat</c> (100 on Linux).</summary>
    private const double ClockTicksPerSecond = 100;

    /// <summary><c>VmRSS</c>, <c>RssAnon</c> and <c>RssFile</c> of <c>/proc/&lt;pid&gt;/status</c>, in KiB.</summary>
    public static Memory ReadMemory(int pid)
    {
        long Field(string[] lines, string name) =>
            long.Parse(lines.Single(l => l.StartsWith(name + ":", StringComparison.Ordinal))[(name.Length + 1)..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);

        var status = File.ReadAllLines($"/proc/{pid}/status");
        return new Memory(Field(status, "VmRSS"), Field(status, "RssAnon"), Field(status, "RssFile"));
    }

    /// <summary><c>VmHWM</c> of <c>/proc/&lt;pid&gt;/status</c>: the highest resident set size so far, in KiB.</summary>
    public static long ReadPeakRssKiB(int pid)
    {
        var line = File.ReadLines($"/proc/{pid}/status").First(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
        return long.Parse(line["VmHWM:".Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// Proportional set size in KiB (<c>/proc/&lt;pid&gt;/smaps_rollup</c>): resident pages, each shared page divided
    /// among the processes that map it. Summed over processes, it is the physical memory they use together.
    /// </summary>
    public static long ReadPssKiB(int pid)
    {
        var line = File.ReadLines($"/proc/{pid}/smaps_rollup").First(l => l.StartsWith("Pss:", StringComparison.Ordinal));
        return long.Parse(line["Pss:".Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// CPU time of the process so far: utime + stime of <c>/proc/&lt;pid&gt;/stat</c> (10 ms resolution, threads that
    /// exited included), and each live thread's run time from its <c>schedstat</c> (nanosecond resolution).
    /// </summary>
    public static CpuTime ReadCpu(int pid)
    {
        var stat = File.ReadAllText($"/proc/{pid}/stat");

        // The command name (field 2) may hold spaces; the fields after it start after the last ')'.
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        var ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);

        var threads = new Dictionary<string, long>();
        foreach (var task in Directory.EnumerateDirectories($"/proc/{pid}/task"))
        {
            try
            {
                threads[Path.GetFileName(task)] = long.Parse(File.ReadAllText(Path.Combine(task, "schedstat")).Split(' ')[0], CultureInfo.InvariantCulture);
            }
            catch (IOException)
            {
                // the thread ended between listing and reading
            }
        }

        return new CpuTime(ticks * 1000 / ClockTicksPerSecond, threads);
    }

    /// <summary>The load averages (1, 5, 15 min) of the machine.</summary>
    public static string LoadAverage() => string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3));

    public sealed record Memory(long RssKiB, long AnonKiB, long FileKiB)
    {
        public double RssMiB => RssKiB / 1024.0;
    }

    /// <param name="StatMs">utime + stime in ms (10 ms steps).</param>
    /// <param name="ThreadRunNs">Run time of each live thread (by thread id) in ns.</param>
    public sealed record CpuTime(double StatMs, IReadOnlyDictionary<string, long> ThreadRunNs)
    {
        /// <summary>
        /// Run time between two readings, in ms, from the threads alive at the second one (a thread that ended in
        /// between is not counted; one that started in between counts whole).
        /// </summary>
        public double SchedMsSince(CpuTime before) =>
            ThreadRunNs.Sum(t => t.Value - before.ThreadRunNs.GetValueOrDefault(t.Key)) / 1e6;
    }
}

/// <summary>The harness itself failed (a process did not publish, an emulator did not start): exit 1.</summary>
public sealed class HarnessException(string message) : Exception(message);
