using System.Runtime.InteropServices;

namespace LeaseAgent.Publishing;

/// <summary>What a path names, without following a final symbolic link.</summary>
internal enum FileKind
{
    Regular,
    Directory,
    SymbolicLink,
    Other,
}

/// <param name="OwnerId">The owner's uid.</param>
internal readonly record struct FileEntry(FileKind Kind, uint OwnerId, UnixFileMode Mode, long Size);

/// <summary>
/// <c>lstat</c> for what .NET does not expose: a path's owner, and its type without following a symbolic link.
/// Through <c>statx</c>, whose buffer has the same layout on every Linux architecture (unlike <c>struct stat</c>).
/// </summary>
internal static partial class FileStatus
{
    private const int CurrentDirectory = -100; // AT_FDCWD
    private const int SymlinkNoFollow = 0x100; // AT_SYMLINK_NOFOLLOW
    private const uint BasicStats = 0x7ff; // STATX_BASIC_STATS
    private const int NoSuchEntry = 2; // ENOENT
    private const int NotADirectory = 20; // ENOTDIR: a parent is a file, so nothing is there either

    /// <summary>The effective uid of this process: the owner of every file it creates.</summary>
    public static uint EffectiveUserId => GetEffectiveUserId();

    /// <summary>The entry at <paramref name="path"/> itself (a symbolic link is reported as one); null when there is none.</summary>
    public static FileEntry? Of(string path)
    {
        if (!OperatingSystem.IsLinux())
        {
            return Managed(path); // development on macOS: no owner check
        }

        if (Statx(CurrentDirectory, path, SymlinkNoFollow, BasicStats, out var status) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            return errno is NoSuchEntry or NotADirectory ? null : throw new IOException($"cannot stat '{path}' (errno {errno})", errno);
        }

        var kind = (status.Mode & 0xF000) switch // S_IFMT
        {
            0x8000 => FileKind.Regular,
            0x4000 => FileKind.Directory,
            0xA000 => FileKind.SymbolicLink,
            _ => FileKind.Other,
        };
        return new FileEntry(kind, status.Uid, (UnixFileMode)(status.Mode & 0xFFF), (long)status.Size);
    }

    private static FileEntry? Managed(string path)
    {
        FileSystemInfo info = Directory.Exists(path) ? new DirectoryInfo(path) : new FileInfo(path);
        if (!info.Exists && info.LinkTarget is null)
        {
            return null;
        }

        var kind = info.LinkTarget is not null ? FileKind.SymbolicLink : info is DirectoryInfo ? FileKind.Directory : FileKind.Regular;
        return new FileEntry(kind, EffectiveUserId, info.UnixFileMode, info is FileInfo file && info.Exists ? file.Length : 0);
    }

    [LibraryImport("libc", EntryPoint = "statx", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int Statx(int directory, string path, int flags, uint mask, out StatxBuffer buffer);

    [LibraryImport("libc", EntryPoint = "geteuid")]
    private static partial uint GetEffectiveUserId();

    /// <summary><c>struct statx</c> (256 bytes); only the fields read here.</summary>
    [StructLayout(LayoutKind.Explicit, Size = 256)]
    private struct StatxBuffer
    {
        [FieldOffset(20)]
        public uint Uid;

        [FieldOffset(28)]
        public ushort Mode;

        [FieldOffset(40)]
        public ulong Size;
    }
}
