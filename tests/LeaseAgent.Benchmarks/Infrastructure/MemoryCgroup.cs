using System.Diagnostics;
using System.Globalization;

namespace LeaseAgent.Benchmarks.Infrastructure;

/// <summary>
/// A child cgroup of the memory controller, created for one measured process and removed afterwards, to read what
/// kubelet reports as a container's working set: memory usage minus inactive file pages (cgroup v2:
/// <c>memory.current</c> − <c>memory.stat inactive_file</c>; v1: <c>memory.usage_in_bytes</c> −
/// <c>memory.stat total_inactive_file</c>). The process joins it before <c>exec</c> (<see cref="WrapCommand"/>), so
/// every page it touches from its first instruction on is charged here, except pages that another cgroup brought
/// into memory first: those stay charged to that cgroup.
/// </summary>
public sealed class MemoryCgroup : IDisposable
{
    private const string Root = "/sys/fs/cgroup";

    private MemoryCgroup(string path, int version)
    {
        Path = path;
        Version = version;
    }

    /// <summary>The cgroup's directory.</summary>
    public string Path { get; }

    /// <summary>1 or 2.</summary>
    public int Version { get; }

    private string ProcsFile => System.IO.Path.Combine(Path, "cgroup.procs");

    /// <summary>
    /// Creates a child cgroup named <paramref name="name"/> at the top of the memory hierarchy: v2 when
    /// <c>/sys/fs/cgroup</c> is the unified hierarchy with the memory controller, else v1's
    /// <c>/sys/fs/cgroup/memory</c>. Returns null and the reason when neither can be used (no permission, no
    /// controller, a read-only mount).
    /// </summary>
    public static MemoryCgroup? TryCreate(string name, out string reason)
    {
        string parent;
        int version;
        var controllers = System.IO.Path.Combine(Root, "cgroup.controllers");
        if (File.Exists(controllers))
        {
            if (!File.ReadAllText(controllers).Split(' ', '\n').Contains("memory"))
            {
                reason = $"cgroup v2 at {Root} without the memory controller";
                return null;
            }

            parent = Root;
            version = 2;
        }
        else if (File.Exists(System.IO.Path.Combine(Root, "memory", "memory.usage_in_bytes")))
        {
            parent = System.IO.Path.Combine(Root, "memory");
            version = 1;
        }
        else
        {
            reason = $"no memory controller under {Root} (neither v2's cgroup.controllers nor v1's memory/)";
            return null;
        }

        var path = System.IO.Path.Combine(parent, name);
        try
        {
            if (version == 2)
            {
                // The root's children get the memory controller only when the root hands it down.
                var subtree = System.IO.Path.Combine(parent, "cgroup.subtree_control");
                if (!File.ReadAllText(subtree).Split(' ', '\n').Contains("memory"))
                {
                    File.WriteAllText(subtree, "+memory");
                }
            }

            Directory.CreateDirectory(path);
            var cgroup = new MemoryCgroup(path, version);
            _ = cgroup.Read();
            reason = string.Empty;
            return cgroup;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or InvalidOperationException)
        {
            reason = $"cannot create or read cgroup v{version} {path}: {e.GetType().Name}: {e.Message}";
            try
            {
                if (Directory.Exists(path))
                {
                    Directory.Delete(path);
                }
            }
            catch (IOException)
            {
                // left behind; named in the reason
            }

            return null;
        }
    }

    /// <summary>
    /// A command line that runs <paramref name="binary"/> with <paramref name="args"/> inside this cgroup: a shell writes
    /// its own pid into <c>cgroup.procs</c>, then <c>exec</c>s the binary, which keeps the pid and the cgroup.
    /// </summary>
    public (string Binary, string[] Args) WrapCommand(string binary, params string[] args) =>
        ("/bin/sh", ["-c", "echo $$ > \"$0\" && exec \"$@\"", ProcsFile, binary, .. args]);

    /// <summary>The pids in the cgroup.</summary>
    public IReadOnlyList<int> Pids() =>
        [.. File.ReadAllLines(ProcsFile).Where(l => l.Length > 0).Select(l => int.Parse(l, CultureInfo.InvariantCulture))];

    /// <summary>Usage, the working set kubelet would report, and the statistics behind it, in bytes.</summary>
    public Usage Read()
    {
        var stat = File.ReadAllLines(System.IO.Path.Combine(Path, "memory.stat"))
            .Select(l => l.Split(' ', 2))
            .Where(p => p.Length == 2)
            .ToDictionary(p => p[0], p => long.Parse(p[1], CultureInfo.InvariantCulture), StringComparer.Ordinal);
        long Stat(string key) => stat.TryGetValue(key, out var value) ? value : throw new InvalidOperationException($"memory.stat of {Path} has no {key}");
        long ReadNumber(string file) => long.Parse(File.ReadAllText(System.IO.Path.Combine(Path, file)).Trim(), CultureInfo.InvariantCulture);

        if (Version == 2)
        {
            var current = ReadNumber("memory.current");
            var inactive = Stat("inactive_file");
            return new Usage(current, Math.Max(0, current - inactive), inactive, Stat("active_file"), Stat("anon"), Stat("file"), Stat("file_mapped"), stat.GetValueOrDefault("kernel"), Stat("shmem"));
        }

        var usage = ReadNumber("memory.usage_in_bytes");
        var inactiveFile = Stat("total_inactive_file");
        var kernel = File.Exists(System.IO.Path.Combine(Path, "memory.kmem.usage_in_bytes")) ? ReadNumber("memory.kmem.usage_in_bytes") : 0;
        return new Usage(usage, Math.Max(0, usage - inactiveFile), inactiveFile, Stat("total_active_file"), Stat("total_rss"), Stat("total_cache"), Stat("total_mapped_file"), kernel, Stat("total_shmem"));
    }

    /// <summary>Removes the cgroup once its processes are gone (they must have been stopped); waits up to 10 s for that.</summary>
    public void Dispose()
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                if (Directory.Exists(Path))
                {
                    Directory.Delete(Path);
                }

                return;
            }
            catch (IOException) when (clock.Elapsed < TimeSpan.FromSeconds(10))
            {
                // a process is still listed (an exit not yet reaped): poll until it is gone
                Thread.Sleep(50);
            }
            catch (IOException e)
            {
                Console.Error.WriteLine($"  could not remove cgroup {Path}: {e.Message} (pids: {string.Join(',', Pids())})");
                return;
            }
        }
    }

    /// <param name="UsageBytes">v2 <c>memory.current</c>; v1 <c>memory.usage_in_bytes</c> (includes kernel memory).</param>
    /// <param name="WorkingSetBytes">Usage minus inactive file pages, floored at 0: kubelet's <c>container_memory_working_set_bytes</c>.</param>
    /// <param name="AnonBytes">v2 <c>anon</c>; v1 <c>total_rss</c>.</param>
    /// <param name="FileBytes">v2 <c>file</c>; v1 <c>total_cache</c> (page cache charged here, shmem included).</param>
    /// <param name="MappedFileBytes">Charged file pages mapped into a process (v2 <c>file_mapped</c>; v1 <c>total_mapped_file</c>): the binary's and libraries' pages only if this cgroup brought them in.</param>
    /// <param name="KernelBytes">v2 <c>kernel</c>; v1 <c>memory.kmem.usage_in_bytes</c> (0 when absent).</param>
    public sealed record Usage(long UsageBytes, long WorkingSetBytes, long InactiveFileBytes, long ActiveFileBytes, long AnonBytes, long FileBytes, long MappedFileBytes, long KernelBytes, long ShmemBytes)
    {
        public double WorkingSetMiB => WorkingSetBytes / 1048576.0;

        public string Describe() =>
            $"usage {Mib(UsageBytes)}; of it anon {Mib(AnonBytes)}, file {Mib(FileBytes)} (active {Mib(ActiveFileBytes)}, inactive {Mib(InactiveFileBytes)}, mapped {Mib(MappedFileBytes)}, shmem {Mib(ShmemBytes)}), kernel {Mib(KernelBytes)}";

        private static string Mib(long bytes) => $"{Measurements.F(bytes / 1048576.0, "0.00")} MiB";
    }
}
