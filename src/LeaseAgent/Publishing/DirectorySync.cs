using System.Runtime.InteropServices;

namespace LeaseAgent.Publishing;

/// <summary>
/// <c>fsync</c> of a directory, which makes a rename in it durable: the file's own fsync does not. .NET cannot
/// open a directory, hence libc. Irrelevant on the chart's in-memory volume; it matters for a journal on a disk.
/// </summary>
internal static partial class DirectorySync
{
    private const int ReadOnlyCloseOnExec = 0x80000; // O_RDONLY | O_CLOEXEC, the same on x86-64 and arm64

    /// <summary>Best effort: false when the directory could not be opened or synced.</summary>
    public static bool TrySync(string directory)
    {
        if (!OperatingSystem.IsLinux())
        {
            return false;
        }

        var descriptor = Open(directory, ReadOnlyCloseOnExec);
        if (descriptor < 0)
        {
            return false;
        }

        var synced = Sync(descriptor) == 0;
        _ = Close(descriptor);
        return synced;
    }

    [LibraryImport("libc", EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static partial int Sync(int descriptor);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int Close(int descriptor);
}
