using System.Diagnostics;
using LeaseAgent.Configuration;
using LeaseAgent.Reload;
using LeaseAgent.Testing;
using LeaseAgent.Tests.ScaiVault;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace LeaseAgent.Tests.Reload;

public sealed class AppReloaderTests
{
    [Theory]
    [InlineData(null, 1)]
    [InlineData("HUP", 1)]
    [InlineData("SIGUSR1", 10)]
    [InlineData("usr2", 12)]
    [InlineData("TERM", 15)]
    public void Parse_SignalNames(string? text, int number) => Assert.Equal(number, ReloadSignal.Parse(text));

    [Fact]
    public void Parse_UnknownSignal_NamesTheKey() =>
        Assert.Equal("RELOAD_SIGNAL", Assert.Throws<ConfigurationException>(() => ReloadSignal.Parse("KILL")).Key);

    [Fact]
    public async Task Signal_ByPidFile_DeliversTheSignal()
    {
        // A shell that reports when it receives SIGUSR1.
        var marker = Path.Combine(Path.GetTempPath(), $"reload-{Guid.NewGuid():N}");
        var trapped = marker + ".trapped";
        using var app = Process.Start(new ProcessStartInfo("sh", ["-c", $"trap 'echo got > {marker}' USR1; touch {trapped}; while true; do sleep 0.05; done"]))!;
        await Eventually.TrueAsync(() => File.Exists(trapped), TimeSpan.FromSeconds(10), "the app's trap installed"); // before it, SIGUSR1 would end the shell
        var pidFile = Path.Combine(Path.GetTempPath(), $"pid-{Guid.NewGuid():N}");
        await File.WriteAllTextAsync(pidFile, app.Id.ToString(System.Globalization.CultureInfo.InvariantCulture));
        try
        {
            var reloader = new AppReloader(new ReloadOptions { Signal = 10, PidFile = pidFile }, NullLogger<AppReloader>.Instance);

            Assert.Equal(1, reloader.Signal("test"));
            await Eventually.TrueAsync(() => File.Exists(marker), TimeSpan.FromSeconds(10), "the app to see SIGUSR1");
        }
        finally
        {
            app.Kill();
            File.Delete(pidFile);
            File.Delete(marker);
            File.Delete(trapped);
        }
    }

    [Fact]
    public void Signal_MissingTarget_IsAWarningNotACrash()
    {
        var reloader = new AppReloader(new ReloadOptions { PidFile = "/nonexistent/app.pid" }, NullLogger<AppReloader>.Instance);

        Assert.Equal(0, reloader.Signal("test"));
    }

    [Fact]
    public void Signal_NoTargetConfigured_DoesNothing()
    {
        var reloader = new AppReloader(new ReloadOptions(), NullLogger<AppReloader>.Instance);

        Assert.False(reloader.HasTarget);
        Assert.Equal(0, reloader.Signal("test"));
    }

    private const int SigWinch = 28; // ignored by default: a test that sends it by mistake harms nobody

    [Fact]
    public void Signal_PidFileNamingTheAgentItself_SendsNothing_AndWarns()
    {
        var logger = new CapturingLogger<AppReloader>();
        using var pidFile = new TempPidFile(Environment.ProcessId);
        var reloader = new AppReloader(new ReloadOptions { Signal = SigWinch, PidFile = pidFile.Path }, logger);

        Assert.Equal(0, reloader.Signal("test"));
        AssertRefused(logger, Environment.ProcessId, "it is the agent itself");
    }

    [Fact]
    public void Refusal_Pid1_IsNeverSignalled() =>
        // Checked on the decision alone: a failing test must not signal this machine's pid 1.
        Assert.StartsWith("pid 1 is the namespace's init", AppReloader.Refusal(1, pidFileWritten: null), StringComparison.Ordinal);

    [Fact]
    public async Task Signal_PidFileNamingAZombie_SendsNothing_AndWarns()
    {
        // sleep 0 exits at once, and its parent (sh replaced by sleep 30) never reaps it.
        var zombiePidFile = Path.Combine(Path.GetTempPath(), $"zombie-{Guid.NewGuid():N}");
        using var parent = Process.Start(new ProcessStartInfo("sh", ["-c", $"sleep 0 & echo $! > {zombiePidFile}; exec sleep 30"]))!;
        try
        {
            var zombie = await Eventually.ReturnsAsync(
                () => Task.FromResult(File.Exists(zombiePidFile) && int.TryParse(File.ReadAllText(zombiePidFile).Trim(), out var pid) ? pid : 0),
                pid => pid > 0 && File.ReadAllText($"/proc/{pid}/stat").Contains(") Z ", StringComparison.Ordinal),
                TimeSpan.FromSeconds(10),
                "a zombie");
            var logger = new CapturingLogger<AppReloader>();
            var reloader = new AppReloader(new ReloadOptions { Signal = SigWinch, PidFile = zombiePidFile }, logger);

            Assert.Equal(0, reloader.Signal("test"));
            AssertRefused(logger, zombie, "it is a zombie");
        }
        finally
        {
            parent.Kill();
            File.Delete(zombiePidFile);
        }
    }

    [Fact]
    public void Signal_PidFileOlderThanItsProcess_IsAReusedPid_SendsNothing_AndWarns()
    {
        using var stranger = Process.Start(new ProcessStartInfo("sleep", ["30"]))!;
        using var pidFile = new TempPidFile(stranger.Id);
        File.SetLastWriteTimeUtc(pidFile.Path, DateTime.UtcNow.AddMinutes(-5)); // the app wrote it, then died
        try
        {
            var logger = new CapturingLogger<AppReloader>();
            var reloader = new AppReloader(new ReloadOptions { Signal = SigWinch, PidFile = pidFile.Path }, logger);

            Assert.Equal(0, reloader.Signal("test"));
            AssertRefused(logger, stranger.Id, "it started after RELOAD_PID_FILE was written");
        }
        finally
        {
            stranger.Kill();
        }
    }

    [Fact]
    public void Signal_SupervisedChild_WithoutRELOAD_SIGNAL_IsNotSignalled()
    {
        using var child = Process.Start(new ProcessStartInfo("sleep", ["30"]))!;
        try
        {
            var reloader = new AppReloader(new ReloadOptions(), NullLogger<AppReloader>.Instance); // RELOAD_SIGNAL unset: HUP
            reloader.TargetChild(child.Id);

            Assert.Equal(0, reloader.Signal("rotation"));
            Assert.False(child.WaitForExit(200), "SIGHUP ended the supervised child");
        }
        finally
        {
            child.Kill();
        }
    }

    [Fact]
    public void Signal_SupervisedChild_WithRELOAD_SIGNAL_IsSignalled()
    {
        using var child = Process.Start(new ProcessStartInfo("sleep", ["30"]))!;
        try
        {
            var reloader = new AppReloader(new ReloadOptions { Signal = SigWinch, SignalConfigured = true }, NullLogger<AppReloader>.Instance);
            reloader.TargetChild(child.Id);

            Assert.Equal(1, reloader.Signal("rotation"));
        }
        finally
        {
            child.Kill();
        }
    }

    private static void AssertRefused(CapturingLogger<AppReloader> logger, int pid, string reason)
    {
        var entry = Assert.Single(logger.Entries, e => e.Id.Id == 9100);
        Assert.Equal(LogLevel.Warning, entry.Level);
        Assert.Contains($"pid {pid}: {reason}", entry.Message, StringComparison.Ordinal);
    }

    private sealed class TempPidFile : IDisposable
    {
        public TempPidFile(int pid)
        {
            Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"pid-{Guid.NewGuid():N}");
            File.WriteAllText(Path, pid.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        public string Path { get; }

        public void Dispose() => File.Delete(Path);
    }
}
