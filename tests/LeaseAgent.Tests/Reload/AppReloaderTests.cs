using System.Diagnostics;
using LeaseAgent.Configuration;
using LeaseAgent.Reload;
using LeaseAgent.Testing;
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
}
