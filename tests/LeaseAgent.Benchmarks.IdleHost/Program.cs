using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace LeaseAgent.Benchmarks.IdleHost;

/// <summary>
/// A generic host that does nothing until SIGTERM. By default it is built the way <c>lease-agent run</c> builds
/// its host (no default sources, JSON console logging); with <c>--host-defaults</c> it takes
/// <c>Host.CreateApplicationBuilder(args)</c> as it comes (configuration files, file watchers, console logging).
/// </summary>
public static class Program
{
    public static async Task Main(string[] args)
    {
        var defaults = args.Contains("--host-defaults");
        var builder = defaults
            ? Host.CreateApplicationBuilder(args)
            : Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
            {
                DisableDefaults = true,
                ApplicationName = "idle-host",
                ContentRootPath = AppContext.BaseDirectory,
            });

        if (!defaults)
        {
            builder.Logging.ClearProviders();
            builder.Logging.AddJsonConsole();
        }

        builder.Services.AddHostedService<DoNothing>();
        using var host = builder.Build();
        await host.RunAsync();
    }
}

/// <summary>The one hosted service: logs one line, then waits for the host to stop.</summary>
internal sealed partial class DoNothing(ILogger<DoNothing> logger) : BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
        LogStarted(logger);
        return Task.Delay(Timeout.Infinite, stoppingToken);
    }

    [LoggerMessage(1, LogLevel.Information, "Idle host started; doing nothing until SIGTERM")]
    private static partial void LogStarted(ILogger logger);
}
