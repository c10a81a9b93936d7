using System.Runtime.InteropServices;

namespace LeaseAgent.Hosting;

/// <summary>
/// Keeps the agent's memory to itself before it reads any secret. A non-dumpable process's <c>/proc/&lt;pid&gt;</c>
/// files (<c>environ</c>, <c>mem</c>, <c>fd</c>, <c>root</c>, <c>cwd</c>) belong to root, so another process of the
/// same non-root uid (the app in a shared process namespace, a supervised child) can no longer read them or ptrace
/// the agent; root with CAP_SYS_PTRACE still can. A zero core-size limit keeps a crash from writing the agent's
/// memory to a file, which <c>suid_dumpable=2</c> would otherwise still allow.
/// </summary>
internal static partial class ProcessHardening
{
    private const int PrSetDumpable = 4;
    private const int RlimitCore = 4; // Linux and macOS alike

    /// <summary>Applies both settings; returns a one-line reason when one could not be applied, otherwise null.</summary>
    public static string? Apply()
    {
        if (OperatingSystem.IsLinux() && Prctl(PrSetDumpable, 0, 0, 0, 0) != 0)
        {
            return $"prctl(PR_SET_DUMPABLE, 0) failed with errno {Marshal.GetLastPInvokeError()}";
        }

        // Only the soft limit: the hard limit stays, so a supervised child may raise its own limit again.
        if (GetRLimit(RlimitCore, out var limit) != 0 || SetRLimit(RlimitCore, limit with { Current = 0 }) != 0)
        {
            return $"setrlimit(RLIMIT_CORE, 0) failed with errno {Marshal.GetLastPInvokeError()}";
        }

        return null;
    }

    [LibraryImport("libc", EntryPoint = "prctl", SetLastError = true)]
    private static partial int Prctl(int option, nuint arg2, nuint arg3, nuint arg4, nuint arg5);

    [LibraryImport("libc", EntryPoint = "getrlimit", SetLastError = true)]
    private static partial int GetRLimit(int resource, out ResourceLimit limit);

    [LibraryImport("libc", EntryPoint = "setrlimit", SetLastError = true)]
    private static partial int SetRLimit(int resource, in ResourceLimit limit);

    [StructLayout(LayoutKind.Sequential)]
    private record struct ResourceLimit(ulong Current, ulong Maximum);
}
