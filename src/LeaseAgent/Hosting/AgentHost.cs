using System.Net;
using System.Text.Encodings.Web;
using System.Text.Json;
using LeaseAgent.Configuration;
using LeaseAgent.Diagnostics;
using LeaseAgent.Leasing;
using LeaseAgent.Postgres;
using LeaseAgent.Publishing;
using LeaseAgent.ScaiVault;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;

namespace LeaseAgent.Hosting;

/// <summary>Builds the generic host for <c>lease-agent run</c> from validated options.</summary>
public static class AgentHost
{
    /// <summary>Time the host allows on top of <c>SHUTDOWN_TIMEOUT</c> for flushing logs after revocation.</summary>
    private static readonly TimeSpan ShutdownSlack = TimeSpan.FromSeconds(5);

    public static IHost Build(AgentOptions options, TimeProvider? time = null, Action<IServiceCollection>? configure = null)
    {
        // No default configuration sources or providers: the agent reads its own keys (AgentConfiguration),
        // and skipping the defaults keeps start-up fast and the output exactly what we log.
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
        {
            DisableDefaults = true,
            ApplicationName = "lease-agent",
            ContentRootPath = AppContext.BaseDirectory,
        });

        ConfigureLogging(builder.Logging, options.Logging);

        var services = builder.Services;
        services.Configure<HostOptions>(host =>
        {
            host.ShutdownTimeout = options.Shutdown.Timeout + ShutdownSlack;
            host.BackgroundServiceExceptionBehavior = BackgroundServiceExceptionBehavior.StopHost;
        });

        services.AddSingleton(options);
        services.AddSingleton(options.ScaiVault);
        services.AddSingleton(options.Lease);
        services.AddSingleton(options.Database);
        services.AddSingleton(options.Output);
        services.AddSingleton(time ?? TimeProvider.System);
        services.AddSingleton(_ => CreateHttpClient());
        services.AddSingleton<IScaiVaultTokenSource>(sp => CreateTokenSource(sp, options.ScaiVault));
        services.AddSingleton<IScaiVaultClient, ScaiVaultClient>();
        services.AddSingleton<ICredentialProbe, CredentialProbe>();
        services.AddSingleton<CredentialPublisher>();
        services.AddSingleton<LeaseSupervisor>();
        services.AddHostedService(sp => sp.GetRequiredService<LeaseSupervisor>());
        configure?.Invoke(services);

        return builder.Build();
    }

    public static void ConfigureLogging(ILoggingBuilder logging, LoggingOptions options)
    {
        logging.ClearProviders();
        logging.SetMinimumLevel(options.Level);

        // Framework chatter stays out unless it is a problem.
        logging.AddFilter("Microsoft", LogLevel.Warning);
        logging.AddFilter("System", LogLevel.Warning);
        if (options.Json)
        {
            logging.AddJsonConsole(json =>
            {
                json.UseUtcTimestamp = true;
                json.TimestampFormat = "yyyy-MM-dd'T'HH:mm:ss.fff'Z'";
                json.IncludeScopes = false;

                // Log lines are read by people and log pipelines, never embedded in HTML: keep "->" readable.
                json.JsonWriterOptions = new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
            });
        }
        else
        {
            logging.AddSimpleConsole(text =>
            {
                text.SingleLine = true;
                text.UseUtcTimestamp = true;
                text.TimestampFormat = "HH:mm:ss.fff ";
                text.ColorBehavior = LoggerColorBehavior.Disabled;
            });
        }
    }

    /// <summary>
    /// One long-lived client. Timeouts belong to the resilience pipeline, so the client has none; pooled
    /// connections are recycled so DNS changes of the ScaiVault service are picked up.
    /// </summary>
    private static HttpClient CreateHttpClient() => new(new SocketsHttpHandler
    {
        PooledConnectionLifetime = TimeSpan.FromMinutes(5),
        ConnectTimeout = TimeSpan.FromSeconds(5),
        AutomaticDecompression = DecompressionMethods.None,
        UseCookies = false,
    })
    {
        Timeout = Timeout.InfiniteTimeSpan,
    };

    private static IScaiVaultTokenSource CreateTokenSource(IServiceProvider services, ScaiVaultOptions options)
    {
        if (options.StaticToken is { } token)
        {
            Log.StaticToken(services.GetRequiredService<ILogger<StaticTokenSource>>());
            return new StaticTokenSource(token);
        }

        return new WorkloadTokenExchange(
            services.GetRequiredService<HttpClient>(),
            options,
            services.GetRequiredService<TimeProvider>(),
            services.GetRequiredService<ILogger<WorkloadTokenExchange>>());
    }
}
