using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;

namespace LeaseAgent.Benchmarks.Infrastructure;

/// <summary>Where and on what the figures were measured.</summary>
public sealed record MachineInfo(string Cpu, int Cores, string Memory, string Kernel, string Os, string Runtime, string Commit, string Date, string LoadAtStart)
{
    public string LoadAtEnd { get; set; } = string.Empty;

    public static MachineInfo Describe() => new(
        Cpu: CpuModel(),
        Cores: Environment.ProcessorCount,
        Memory: MemoryTotal(),
        Kernel: File.ReadAllText("/proc/sys/kernel/osrelease").Trim(),
        Os: OsName(),
        Runtime: RuntimeInformation.FrameworkDescription,
        Commit: GitCommit(),
        Date: DateTimeOffset.UtcNow.ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture),
        LoadAtStart: ProcFs.LoadAverage());

    private static string CpuModel() =>
        File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "unknown";

    private static string MemoryTotal()
    {
        var line = File.ReadLines("/proc/meminfo").First(l => l.StartsWith("MemTotal:", StringComparison.Ordinal));
        var kib = long.Parse(line["MemTotal:".Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
        return $"{kib / 1024.0 / 1024.0:0.0} GiB";
    }

    private static string OsName()
    {
        const string key = "PRETTY_NAME=";
        var line = File.Exists("/etc/os-release") ? File.ReadLines("/etc/os-release").FirstOrDefault(l => l.StartsWith(key, StringComparison.Ordinal)) : null;
        return line?[key.Length..].Trim('"') ?? RuntimeInformation.OSDescription;
    }

    /// <summary><c>git rev-parse --short HEAD</c>, marked <c>+dirty</c> when the tree has changes (read-only git commands).</summary>
    private static string GitCommit()
    {
        var head = Git("rev-parse", "--short", "HEAD") ?? "unknown";
        var changes = Git("status", "--porcelain", "--untracked-files=no");
        return string.IsNullOrWhiteSpace(changes) ? head : head + "+dirty";
    }

    private static string? Git(params string[] args)
    {
        try
        {
            var start = new ProcessStartInfo("git", args) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = RepositoryRoot.Path };
            start.Environment["GIT_OPTIONAL_LOCKS"] = "0"; // `git status` must not even refresh the index
            using var git = Process.Start(start)!;
            var output = git.StandardOutput.ReadToEnd().Trim();
            git.WaitForExit();
            return git.ExitCode == 0 ? output : null;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null; // no git
        }
    }
}
