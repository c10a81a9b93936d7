using System.Runtime.InteropServices;

namespace LeaseAgent.Reload;

/// <summary>The one libc call .NET lacks: sending an arbitrary signal to another process.</summary>
internal static partial class NativeSignals
{
    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);

    /// <summary>Sends <paramref name="signal"/>; returns the errno on failure, 0 on success.</summary>
    public static int Send(int pid, int signal) => Kill(pid, signal) == 0 ? 0 : Marshal.GetLastPInvokeError();
}
