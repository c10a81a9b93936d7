using System.Globalization;
using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace ScaiVault.CsiProvider.Tests.Infrastructure.DriverEmulation;

/// <summary>One file the driver writes: <c>FileProjection</c> in atomic_writer.go (without <c>FsUser</c>, which the driver never sets).</summary>
public sealed record FileProjection(byte[] Data, int Mode);

/// <summary>What one <see cref="AtomicWriter.Write"/> did, so a test can assert the byte-compare skip.</summary>
/// <param name="Written">False when the driver's "no update required for target directory" path was taken.</param>
/// <param name="RemovedPaths">Paths of the previous write that are no longer in the payload (relative, '/'-separated).</param>
/// <param name="DataDirectory">The <c>..&lt;timestamp&gt;</c> directory <c>..data</c> points at after the call.</param>
public sealed record AtomicWriteResult(bool Written, IReadOnlyList<string> RemovedPaths, string? DataDirectory);

/// <summary>
/// The kubelet's atomic writer as vendored by the driver, ported for behaviour from
/// secrets-store-csi-driver v1.6.0 <c>pkg/util/fileutil/atomic_writer.go</c> (<c>AtomicWriter.Write</c> and its
/// helpers): the files go into a fresh <c>..&lt;timestamp&gt;</c> directory, each written and then chmod-ed to exactly
/// its mode; user-visible symlinks <c>name -> ..data/name</c> (the top-level element only) point through
/// <c>..data</c>, which is swapped to the new directory by an atomic rename of <c>..data_tmp</c>; nothing is
/// written when every file's bytes are unchanged and no path disappeared (modes are not compared).
/// </summary>
public sealed class AtomicWriter
{
    public const string DataDirName = "..data";
    public const string NewDataDirName = "..data_tmp";

    private readonly string _targetDir;

    /// <summary><c>NewAtomicWriter</c>: the target directory (the driver's tmpfs mount) must exist.</summary>
    public AtomicWriter(string targetDir)
    {
        if (!Directory.Exists(targetDir))
        {
            throw new DirectoryNotFoundException($"stat {targetDir}: no such file or directory");
        }

        _targetDir = targetDir;
    }

    public AtomicWriteResult Write(IReadOnlyDictionary<string, FileProjection> payload)
    {
        var cleanPayload = ValidatePayload(payload);

        var dataDirPath = Path.Combine(_targetDir, DataDirName);
        var oldTsDir = ReadLink(dataDirPath) ?? "";
        var oldTsPath = Path.Combine(_targetDir, oldTsDir);

        HashSet<string> pathsToRemove = [];
        if (oldTsDir.Length != 0)
        {
            pathsToRemove = PathsToRemove(cleanPayload, oldTsPath);
            if (!ShouldWritePayload(cleanPayload, oldTsPath) && pathsToRemove.Count == 0)
            {
                return new AtomicWriteResult(false, [], oldTsDir);
            }
        }

        var tsDir = NewTimestampDir();
        var tsDirName = Path.GetFileName(tsDir);
        WritePayloadToDir(cleanPayload, tsDir);
        CreateUserVisibleFiles(cleanPayload);

        var newDataDirPath = Path.Combine(_targetDir, NewDataDirName);
        File.CreateSymbolicLink(newDataDirPath, tsDirName);

        // os.Rename: rename(2) replaces ..data atomically, so a reader sees the old or the new set, never a mix.
        // (File.Move refuses a link to a directory, so libc's rename directly.)
        if (Libc.Rename(newDataDirPath, dataDirPath) != 0)
        {
            throw new IOException($"rename {newDataDirPath} {dataDirPath}: errno {Marshal.GetLastPInvokeError()}");
        }

        RemoveUserVisiblePaths(pathsToRemove);
        if (oldTsDir.Length > 0)
        {
            Directory.Delete(oldTsPath, recursive: true);
        }

        return new AtomicWriteResult(true, [.. pathsToRemove.Order(StringComparer.Ordinal)], tsDirName);
    }

    /// <summary><c>validatePayload</c>: each path through <c>validatePath</c>, keyed by its <c>filepath.Clean</c> form.</summary>
    private static Dictionary<string, FileProjection> ValidatePayload(IReadOnlyDictionary<string, FileProjection> payload)
    {
        var clean = new Dictionary<string, FileProjection>(StringComparer.Ordinal);
        foreach (var (path, content) in payload)
        {
            DriverPaths.ValidatePath(path);
            clean[DriverPaths.Clean(path)] = content;
        }

        return clean;
    }

    /// <summary><c>shouldWritePayload</c>/<c>shouldWriteFile</c>: a missing or byte-different file means a write.</summary>
    private static bool ShouldWritePayload(Dictionary<string, FileProjection> payload, string oldTsDir)
    {
        foreach (var (path, projection) in payload)
        {
            var onDisk = Path.Combine(oldTsDir, path);
            if (!Exists(onDisk))
            {
                return true;
            }

            if (!File.ReadAllBytes(onDisk).AsSpan().SequenceEqual(projection.Data))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// <c>pathsToRemove</c>: every file and directory under the old timestamp directory, less every new path and
    /// each of its parent directories.
    /// </summary>
    private static HashSet<string> PathsToRemove(Dictionary<string, FileProjection> payload, string oldTsDir)
    {
        var paths = new HashSet<string>(StringComparer.Ordinal);
        if (!Directory.Exists(oldTsDir))
        {
            return paths;
        }

        foreach (var entry in Walk(oldTsDir))
        {
            paths.Add(Path.GetRelativePath(oldTsDir, entry));
        }

        foreach (var file in payload.Keys)
        {
            for (var subPath = file; subPath.Length > 0; subPath = Path.GetDirectoryName(subPath) ?? "")
            {
                paths.Remove(subPath);
            }
        }

        return paths;
    }

    /// <summary><c>newTimestampDir</c>: <c>os.MkdirTemp(target, "..2006_01_02_15_04_05.")</c>, then chmod 0755.</summary>
    private string NewTimestampDir()
    {
        var prefix = ".." + DateTime.UtcNow.ToString("yyyy_MM_dd_HH_mm_ss", CultureInfo.InvariantCulture) + ".";
        string path;
        do
        {
            path = Path.Combine(_targetDir, prefix + RandomNumberGenerator.GetInt32(int.MaxValue).ToString(CultureInfo.InvariantCulture));
        }
        while (Directory.Exists(path));

        Directory.CreateDirectory(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        File.SetUnixFileMode(path, (UnixFileMode)Convert.ToInt32("755", 8));
        return path;
    }

    /// <summary>
    /// <c>writePayloadToDir</c>: <c>os.WriteFile(path, data, mode)</c> then <c>os.Chmod(path, mode)</c>, so the umask
    /// does not matter and the mode is exactly the provider's (0 gives <c>----------</c>). Go's
    /// <c>os.FileMode(int32)</c> applies only the permission bits of a plain integer (0o4000 is not <c>ModeSetuid</c>).
    /// </summary>
    private static void WritePayloadToDir(Dictionary<string, FileProjection> payload, string dir)
    {
        foreach (var (path, projection) in payload)
        {
            var fullPath = Path.Combine(dir, path);
            Directory.CreateDirectory(Path.GetDirectoryName(fullPath)!);
            File.WriteAllBytes(fullPath, projection.Data);
            File.SetUnixFileMode(fullPath, (UnixFileMode)(projection.Mode & 0x1FF));
        }
    }

    /// <summary><c>createUserVisibleFiles</c>: a missing top-level name becomes <c>name -> ..data/name</c>.</summary>
    private void CreateUserVisibleFiles(Dictionary<string, FileProjection> payload)
    {
        foreach (var path in payload.Keys)
        {
            var slash = path.IndexOf('/', StringComparison.Ordinal);
            var linkName = slash < 0 ? path : path[..slash];
            var visible = Path.Combine(_targetDir, linkName);
            if (!Exists(visible))
            {
                File.CreateSymbolicLink(visible, Path.Combine(DataDirName, linkName));
            }
        }
    }

    /// <summary><c>removeUserVisiblePaths</c>: only top-level names are links; nested ones went with the old directory.</summary>
    private void RemoveUserVisiblePaths(IEnumerable<string> paths)
    {
        foreach (var path in paths.Where(p => !p.Contains('/', StringComparison.Ordinal)))
        {
            File.Delete(Path.Combine(_targetDir, path));
        }
    }

    /// <summary><c>os.Readlink</c>: null when the path does not exist; an existing non-link is an error, as in Go.</summary>
    private static string? ReadLink(string path)
    {
        var info = new FileInfo(path);
        if (info.LinkTarget is { } target)
        {
            return target;
        }

        return Exists(path) ? throw new IOException($"readlink {path}: invalid argument") : null;
    }

    private static bool Exists(string path) => File.Exists(path) || Directory.Exists(path) || new FileInfo(path).LinkTarget is not null;

    /// <summary><c>filepath.Walk</c> below a root, not following symbolic links.</summary>
    internal static IEnumerable<string> Walk(string root)
    {
        foreach (var entry in new DirectoryInfo(root).EnumerateFileSystemInfos())
        {
            yield return entry.FullName;
            if (entry is DirectoryInfo && entry.LinkTarget is null)
            {
                foreach (var nested in Walk(entry.FullName))
                {
                    yield return nested;
                }
            }
        }
    }
}

/// <summary>The one libc call .NET has no managed equivalent for here.</summary>
internal static class Libc
{
    [DllImport("libc", EntryPoint = "rename", SetLastError = true, CharSet = CharSet.Ansi, BestFitMapping = false, ThrowOnUnmappableChar = true)]
    public static extern int Rename(string oldPath, string newPath);
}
