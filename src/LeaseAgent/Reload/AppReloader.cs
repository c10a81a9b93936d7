using System.Globalization;
using LeaseAgent.Configuration;
using LeaseAgent.Diagnostics;
using Microsoft.Extensions.Logging;

namespace LeaseAgent.Reload;

/// <summary>
/// Tells the app that a new credential or secret is published: sends <c>RELOAD_SIGNAL</c> to the process in
/// <c>RELOAD_PID_FILE</c>, or to every process named <c>RELOAD_PROCESS_NAME</c> (which needs
/// <c>shareProcessNamespace</c> in a pod), or to the supervised child. A missing target is a warning:
/// apps that watch the directory need no signal. Never signalled, with a warning: the agent itself, pid 1, a
/// zombie, and a pid from <c>RELOAD_PID_FILE</c> whose process started after the file was written (a reused pid).
/// </summary>
public sealed class AppReloader(ReloadOptions options, ILogger<AppReloader> logger)
{
    // A pid file is written after its process starts; allow for the clock-tick and mtime granularity.
    private static readonly TimeSpan StartTimeTolerance = TimeSpan.FromSeconds(1);
    private static readonly Lazy<long> ClockTicksPerSecond = new(NativeSignals.ClockTicksPerSecond);

    private int? _childPid;

    /// <summary>
    /// Supervisor mode: the child started by <c>run -- CMD</c> is the target, but only with an explicit
    /// <c>RELOAD_SIGNAL</c>. The child took its credential from its environment at start and cannot reload it, and
    /// the default SIGHUP would end most commands (psql, shells, CLIs) at the first rotation.
    /// </summary>
    public void TargetChild(int pid)
    {
        if (options.SignalConfigured)
        {
            _childPid = pid;
        }
        else
        {
            Log.ChildNotSignalled(logger, pid);
        }
    }

    public bool HasTarget => _childPid is not null || options.PidFile is not null || options.ProcessName is not null;

    /// <summary>Signals the app once; returns how many processes were signalled.</summary>
    public int Signal(string reason)
    {
        if (!HasTarget)
        {
            return 0;
        }

        var targets = FindTargets();
        if (targets.Count == 0)
        {
            Log.ReloadTargetMissing(logger, options.PidFile ?? options.ProcessName ?? "child", reason);
            return 0;
        }

        var signalled = 0;
        foreach (var (pid, pidFileWritten) in targets)
        {
            var (refused, errno) = NativeSignals.SendChecked(pid, options.Signal, p => Refusal(p, pidFileWritten));
            if (refused is not null)
            {
                Log.ReloadTargetRefused(logger, ReloadSignal.Name(options.Signal), pid, refused);
            }
            else if (errno == 0)
            {
                signalled++;
                Log.ReloadSignalled(logger, ReloadSignal.Name(options.Signal), pid, reason);
            }
            else
            {
                Log.ReloadSignalFailed(logger, ReloadSignal.Name(options.Signal), pid, errno);
            }
        }

        return signalled;
    }

    /// <summary>Why <paramref name="pid"/> must not be signalled, or null when it may be.</summary>
    /// <param name="pidFileWritten">When <c>RELOAD_PID_FILE</c> was last written, for a pid read from it.</param>
    internal static string? Refusal(int pid, DateTime? pidFileWritten)
    {
        if (pid == Environment.ProcessId)
        {
            return "it is the agent itself";
        }

        if (pid == 1)
        {
            return "pid 1 is the namespace's init (the pause process in a shared process namespace), never the app";
        }

        if (!OperatingSystem.IsLinux())
        {
            return null; // no /proc to look at
        }

        string[] stat;
        try
        {
            // Fields after "(comm)", which may itself hold spaces and parentheses: [0] is field 3, the state.
            var text = File.ReadAllText($"/proc/{pid}/stat");
            stat = text[(text.LastIndexOf(')') + 2)..].Split(' ');
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return "it has exited";
        }

        if (stat[0] is "Z" or "X")
        {
            return "it is a zombie: it has exited and its parent has not reaped it";
        }

        if (pidFileWritten is { } written && StartedAt(long.Parse(stat[19], CultureInfo.InvariantCulture)) > written + StartTimeTolerance)
        {
            return "it started after RELOAD_PID_FILE was written, so the pid was reused by another process; the app must rewrite the file";
        }

        return null;
    }

    /// <summary>The wall-clock start of a process from <c>/proc/&lt;pid&gt;/stat</c> field 22 (clock ticks since boot).</summary>
    private static DateTime StartedAt(long startTicks)
    {
        var uptime = double.Parse(File.ReadAllText("/proc/uptime").Split(' ')[0], CultureInfo.InvariantCulture);
        return DateTime.UtcNow - TimeSpan.FromSeconds(uptime - ((double)startTicks / ClockTicksPerSecond.Value));
    }

    private List<(int Pid, DateTime? PidFileWritten)> FindTargets()
    {
        if (_childPid is { } child)
        {
            return [(child, null)];
        }

        if (options.PidFile is { } pidFile)
        {
            try
            {
                var written = File.GetLastWriteTimeUtc(pidFile);
                return int.TryParse(File.ReadAllText(pidFile).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var pid) && pid > 0 ? [(pid, written)] : [];
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return [];
            }
        }

        return [.. FindByName(options.ProcessName!).Select(pid => (pid, (DateTime?)null))];
    }

    /// <summary>Processes whose <c>comm</c> (or argv[0]'s file name) is <paramref name="name"/>, except this one.</summary>
    private static List<int> FindByName(string name)
    {
        var found = new List<int>();
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(directory), NumberStyles.None, CultureInfo.InvariantCulture, out var pid) || pid == Environment.ProcessId)
            {
                continue;
            }

            try
            {
                var comm = File.ReadAllText(Path.Combine(directory, "comm")).Trim();
                var argv0 = File.ReadAllText(Path.Combine(directory, "cmdline")).Split('\0')[0];
                if (comm == name || Path.GetFileName(argv0) == name)
                {
                    found.Add(pid);
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // The process ended while we looked.
            }
        }

        return found;
    }
}
