using System.Globalization;
using LeaseAgent.Configuration;
using LeaseAgent.Diagnostics;
using Microsoft.Extensions.Logging;

namespace LeaseAgent.Reload;

/// <summary>
/// Tells the app that a new credential or secret is published: sends <c>RELOAD_SIGNAL</c> to the process in
/// <c>RELOAD_PID_FILE</c>, or to every process named <c>RELOAD_PROCESS_NAME</c> (which needs
/// <c>shareProcessNamespace</c> in a pod), or to the supervised child. A missing target is a warning:
/// apps that watch the directory need no signal.
/// </summary>
public sealed class AppReloader(ReloadOptions options, ILogger<AppReloader> logger)
{
    private int? _childPid;

    /// <summary>Supervisor mode: the child started by <c>run -- CMD</c> is the target.</summary>
    public void TargetChild(int pid) => _childPid = pid;

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
        foreach (var pid in targets)
        {
            var errno = NativeSignals.Send(pid, options.Signal);
            if (errno == 0)
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

    private List<int> FindTargets()
    {
        if (_childPid is { } child)
        {
            return [child];
        }

        if (options.PidFile is { } pidFile)
        {
            try
            {
                return int.TryParse(File.ReadAllText(pidFile).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var pid) && pid > 0 ? [pid] : [];
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return [];
            }
        }

        return FindByName(options.ProcessName!);
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
