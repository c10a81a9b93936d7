using System.Text.Encodings.Web;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;
using ScaiVault.CsiProvider.Configuration;
using ScaiVault.CsiProvider.Diagnostics;
using ScaiVault.CsiProvider.Mounting;

namespace ScaiVault.CsiProvider.Hosting;

/// <summary>
/// The gRPC server on the Unix socket: HTTP/2 only (the driver speaks prior knowledge, without TLS), the socket
/// 0700 (the driver connects as root; nobody else on the node has business there), graceful stop on SIGTERM.
/// </summary>
public static class ProviderHost
{
    /// <summary>The driver's default receive limit (<c>--max-call-recv-msg-size</c>); a Mount request is far smaller.</summary>
    public const int MaxMessageBytes = 4 * 1024 * 1024;

    /// <summary>In-flight Mounts get this long after SIGTERM; below the DaemonSet's 30 s grace period.</summary>
    public static readonly TimeSpan ShutdownTimeout = TimeSpan.FromSeconds(20);

    public static async Task<int> RunAsync(ProviderOptions options)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [] });
        ConfigureLogging(builder.Logging, options.JsonLogs);
        builder.WebHost.ConfigureKestrel(kestrel =>
            kestrel.ListenUnixSocket(options.Endpoint, listen => listen.Protocols = HttpProtocols.Http2));
        builder.Services.Configure<HostOptions>(host => host.ShutdownTimeout = ShutdownTimeout);
        builder.Services.AddMounting(options);
        builder.Services.AddGrpc(grpc => grpc.MaxReceiveMessageSize = MaxMessageBytes);

        await using var app = builder.Build();
        app.MapGrpcService<CsiDriverProviderService>();
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("ScaiVault.CsiProvider");

        if (EndpointSocket.Prepare(options.Endpoint) == EndpointState.StaleRemoved)
        {
            Log.StaleSocketRemoved(logger, options.Endpoint);
        }

        await app.StartAsync();

        // Kestrel binds with the umask's mode; tightened right after. The short window between is harmless: the
        // providers directory is a root-owned hostPath, and the driver connects as root.
        File.SetUnixFileMode(options.Endpoint, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        Log.Listening(logger, ProviderVersion.Version, options.Endpoint, options.ScaiVaultUrl.ToString(), options.AllowedUrls.Count, options.DefaultAudience);

        var lifetime = app.Services.GetRequiredService<IHostApplicationLifetime>();
        using var stopping = lifetime.ApplicationStopping.Register(() => Log.Stopping(logger, ShutdownTimeout.TotalSeconds));
        await app.WaitForShutdownAsync();
        Log.Stopped(logger, options.Endpoint);
        return Program.ExitOk;
    }

    private static void ConfigureLogging(ILoggingBuilder logging, bool json)
    {
        logging.ClearProviders();
        logging.SetMinimumLevel(LogLevel.Information);

        // Framework chatter stays out unless it is a problem.
        logging.AddFilter("Microsoft", LogLevel.Warning);
        logging.AddFilter("Grpc", LogLevel.Warning);
        logging.AddFilter("System", LogLevel.Warning);
        if (json)
        {
            logging.AddJsonConsole(console =>
            {
                console.UseUtcTimestamp = true;
                console.TimestampFormat = "yyyy-MM-dd'T'HH:mm:ss.fff'Z'";
                console.IncludeScopes = false;
                console.JsonWriterOptions = new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
            });
        }
        else
        {
            // Registered directly, not through AddConsoleFormatter<,>, which binds its options by reflection.
            logging.AddConsole(console => console.FormatterName = ScaiVault.Hosting.Logging.TextLogFormatter.FormatterName);
            logging.Services.TryAddEnumerable(ServiceDescriptor.Singleton<ConsoleFormatter, ScaiVault.Hosting.Logging.TextLogFormatter>());
        }
    }
}
