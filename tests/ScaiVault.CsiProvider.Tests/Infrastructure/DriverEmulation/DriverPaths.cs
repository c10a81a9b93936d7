using System.Text;

namespace ScaiVault.CsiProvider.Tests.Infrastructure.DriverEmulation;

/// <summary>
/// The driver's checks on every <c>File.path</c> of a MountResponse, ported for behaviour from
/// secrets-store-csi-driver v1.6.0: <c>pkg/util/fileutil/writer.go</c> <c>Validate</c> (which runs
/// <c>validatePath</c>, then requires <c>filepath.Clean(p) == p</c>) and <c>pkg/util/fileutil/atomic_writer.go</c>
/// <c>validatePath</c>. Messages are the driver's, so a test can compare them with what a pod's events would show.
/// </summary>
public static class DriverPaths
{
    /// <summary><c>maxPathLength</c> in atomic_writer.go: Go's <c>len</c>, i.e. bytes.</summary>
    public const int MaxPathLength = 4096;

    /// <summary><c>maxFileNameLength</c> in atomic_writer.go: bytes per element.</summary>
    public const int MaxFileNameLength = 255;

    /// <summary>writer.go <c>Validate</c>: the first bad path fails the whole mount.</summary>
    public static void Validate(IEnumerable<string> paths)
    {
        foreach (var path in paths)
        {
            ValidatePath(path);
            if (Clean(path) != path)
            {
                throw new DriverMountException(DriverErrorCode.FileWriteError, $"invalid filepath: {Quote(path)}");
            }
        }
    }

    /// <summary>atomic_writer.go <c>validatePath</c>.</summary>
    public static void ValidatePath(string targetPath)
    {
        if (targetPath.Length == 0)
        {
            throw Invalid($"invalid path: must not be empty: {Quote(targetPath)}");
        }

        if (targetPath.StartsWith('/'))
        {
            // path.IsAbs: a leading slash (the driver runs on Linux nodes here).
            throw Invalid($"invalid path: must be relative path: {targetPath}");
        }

        if (Encoding.UTF8.GetByteCount(targetPath) > MaxPathLength)
        {
            throw Invalid($"invalid path: must be less than or equal to {MaxPathLength} characters");
        }

        var items = targetPath.Split('/');
        foreach (var item in items)
        {
            if (item == "..")
            {
                throw Invalid($"invalid path: must not contain '..': {targetPath}");
            }

            if (Encoding.UTF8.GetByteCount(item) > MaxFileNameLength)
            {
                throw Invalid($"invalid path: filenames must be less than or equal to {MaxFileNameLength} characters");
            }
        }

        // "..data" and the "..<timestamp>" directories are the writer's own; a bare ".." was refused above.
        if (items[0].StartsWith("..", StringComparison.Ordinal) && items[0].Length > 2)
        {
            throw Invalid($"invalid path: must not start with '..': {targetPath}");
        }
    }

    /// <summary>
    /// Go's <c>path/filepath.Clean</c> for '/'-separated paths: collapses repeated slashes, drops <c>.</c> elements,
    /// resolves <c>..</c> lexically (dropping it at the root), drops a trailing slash, and gives <c>.</c> for empty.
    /// </summary>
    public static string Clean(string path)
    {
        if (path.Length == 0)
        {
            return ".";
        }

        var rooted = path[0] == '/';
        var elements = new List<string>();
        foreach (var element in path.Split('/'))
        {
            switch (element)
            {
                case "" or ".":
                    break;
                case "..":
                    if (elements.Count > 0 && elements[^1] != "..")
                    {
                        elements.RemoveAt(elements.Count - 1);
                    }
                    else if (!rooted)
                    {
                        elements.Add("..");
                    }

                    break;
                default:
                    elements.Add(element);
                    break;
            }
        }

        var joined = string.Join('/', elements);
        return rooted ? "/" + joined : joined.Length == 0 ? "." : joined;
    }

    /// <summary>Go's <c>%q</c> for the printable paths tests use.</summary>
    private static string Quote(string value) => "\"" + value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";

    private static DriverMountException Invalid(string message) => new(DriverErrorCode.FileWriteError, message);
}
