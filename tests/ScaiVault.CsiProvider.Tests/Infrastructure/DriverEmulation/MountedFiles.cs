namespace ScaiVault.CsiProvider.Tests.Infrastructure.DriverEmulation;

/// <summary>
/// What the driver's SecretProviderClassPodStatus controller sees of a mount, ported for behaviour from
/// secrets-store-csi-driver v1.6.0 <c>pkg/util/fileutil/filesystem.go</c> <c>GetMountedFiles</c>.
/// </summary>
public static class MountedFiles
{
    /// <summary>
    /// Relative path ('/'-separated) → absolute path of every file in the mount: the writer's <c>..*</c> entries are
    /// skipped, each top-level symlink is followed once (to <c>..data/name</c>), and what is below is walked without
    /// following further links (Go's <c>filepath.Walk</c>).
    /// </summary>
    public static IReadOnlyDictionary<string, string> Get(string targetPath)
    {
        var paths = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var entry in new DirectoryInfo(targetPath).EnumerateFileSystemInfos())
        {
            if (entry.Name.StartsWith("..", StringComparison.Ordinal))
            {
                continue;
            }

            var root = entry.LinkTarget is { } actual ? Path.Combine(targetPath, actual) : entry.FullName;
            if (!Directory.Exists(root))
            {
                paths[entry.Name] = root;
                continue;
            }

            foreach (var file in AtomicWriter.Walk(root).Where(f => !Directory.Exists(f) || new FileInfo(f).LinkTarget is not null))
            {
                paths[entry.Name + "/" + Path.GetRelativePath(root, file)] = file;
            }
        }

        return paths;
    }
}
