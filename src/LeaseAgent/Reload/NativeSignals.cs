using System.Runtime.InteropServices;

namespace LeaseAgent.Reload;

/// <summary>The libc calls .NET lacks: sending an arbitrary signal to another process, through a pidfd where there is one.</summary>
internal static partial class NativeSignals
{
    private const int EPERM = 1; // pidfd_open refused by a seccomp filter
    private const int ENOSYS = 38;
    private const long SysPidfdSendSignal = 424; // the same number on every Linux architecture
    private const long SysPidfdOpen = 434;

    /// <summary>Sends <paramref name="signal"/>; returns the errno on failure, 0 on success.</summary>
    public static int Send(int pid, int signal) => Kill(pid, signal) == 0 ? 0 : Marshal.GetLastPInvokeError();

    /// <summary>
    /// Pins <paramref name="pid"/> with a pidfd, asks <paramref name="refusal"/> whether it may be signalled, and signals
    /// through the pidfd: if the pid is reused between the check and the signal, the pidfd still names the process
    /// that was checked, which has gone, and nothing is sent (ESRCH). Without pidfds (Linux before 5.3, macOS) it falls
    /// back to <c>kill</c>. Returns the reason for not signalling, or null and the errno of the send (0 on success).
    /// </summary>
    public static (string? Refused, int Errno) SendChecked(int pid, int signal, Func<int, string?> refusal)
    {
        var pidfd = OperatingSystem.IsLinux() ? (int)PidfdOpen(SysPidfdOpen, pid, 0) : -1;
        if (pidfd < 0 && OperatingSystem.IsLinux() && Marshal.GetLastPInvokeError() is var error and not (ENOSYS or EPERM))
        {
            return (null, error); // ESRCH: it has gone
        }

        try
        {
            if (refusal(pid) is { } reason)
            {
                return (reason, 0);
            }

            if (pidfd < 0)
            {
                return (null, Send(pid, signal));
            }

            return (null, PidfdSendSignal(SysPidfdSendSignal, pidfd, signal, 0, 0) == 0 ? 0 : Marshal.GetLastPInvokeError());
        }
        finally
        {
            if (pidfd >= 0)
            {
                _ = Close(pidfd);
            }
        }
    }

    /// <summary><c>sysconf(_SC_CLK_TCK)</c>: the unit of the start time in <c>/proc/&lt;pid&gt;/stat</c>.</summary>
    public static long ClockTicksPerSecond() => SysConf(2) is var ticks and > 0 ? ticks : 100;

    [LibraryImport("libc", EntryPoint = "sysconf")]
    private static partial long SysConf(int name);

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);

    // syscall(2) is variadic and reads every argument as a long: pass them full width.
    [LibraryImport("libc", EntryPoint = "syscall", SetLastError = true)]
    private static partial long PidfdOpen(long number, long pid, long flags);

    [LibraryImport("libc", EntryPoint = "syscall", SetLastError = true)]
    private static partial long PidfdSendSignal(long number, long pidfd, long signal, nint info, long flags);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int Close(int fd);
}
