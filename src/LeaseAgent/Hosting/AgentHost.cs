using System.Text.Encodings.Web;
using System.Text.Json;
using LeaseAgent.Configuration;
using LeaseAgent.Diagnostics;
using LeaseAgent.Leasing;
using LeaseAgent.Postgres;
using LeaseAgent.Publishing;
using LeaseAgent.Reload;
using LeaseAgent.ScaiVault;
using LeaseAgent.Secrets;
using LeaseAgent.Status;
using LeaseAgent.SupervisorMode;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;
using ScaiVault.Client;

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
        services.AddSingleton(time ?? TimeProvider.System);
        services.AddSingleton(_ => ScaiVaultConnection.CreateHttpClient(options.ScaiVault));
        services.AddSingleton<IScaiVaultTokenSource>(sp => TokenSources.Create(sp, options.ScaiVault));
        services.AddSingleton(sp => new ScaiVaultClient(
            sp.GetRequiredService<HttpClient>(), sp.GetRequiredService<IScaiVaultTokenSource>(), options.ScaiVault, options.Lease, sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILogger<ScaiVaultClient>>()));
        services.AddSingleton<IScaiVaultClient>(sp => sp.GetRequiredService<ScaiVaultClient>());
        services.AddSingleton(options.Reload);
        services.AddSingleton<AppReloader>();

        // First: started before, and stopped after, every service that reports to it.
        services.AddSingleton(StatusOptions.For(options));
        services.AddSingleton<StatusReporter>();
        services.AddHostedService(sp => sp.GetRequiredService<StatusReporter>());
        services.AddSingleton<LeaseMetrics>();
        services.AddSingleton(options.Health);
        if (options.ScaiVault.StaticToken is not null)
        {
            services.AddSingleton<TokenLifetimeCheck>();
            services.AddHostedService<StaticTokenLifetimeWarning>();
        }

        if (options.Health.Address is not null)
        {
            services.AddHostedService<HealthServer>();
        }

        if (options.Secrets.Mappings.Count > 0)
        {
            services.AddSingleton(sp => (IScaiVaultSubscriptions)sp.GetRequiredService<IScaiVaultClient>());
            services.AddHostedService<SecretRefresher>();
        }

        if (options.Database is { } database)
        {
            // init's probe of the one credential it writes; run's supervisors have a probe each.
            services.AddSingleton<ICredentialProbe>(sp => new CredentialProbe(database, sp.GetRequiredService<TimeProvider>()));
        }

        if (options.Credentials.Count > 0)
        {
            services.AddSingleton(sp => new LeaseJournal(options.Output.StateDirectory, options.Credentials[0].Name, sp.GetRequiredService<TimeProvider>()));
            services.AddSingleton(sp => new LeaseSupervisors([.. options.Credentials.Select(credential => CreateSupervisor(sp, options, credential))]));
            services.AddHostedService(sp => sp.GetRequiredService<LeaseSupervisors>());
        }

        if (options.ChildCommand is { Count: > 0 } command)
        {
            // After the supervisors: hosted services stop in reverse order, so the child is stopped before any
            // credential it may use is revoked.
            services.AddSingleton(sp => new ChildProcessRunner(
                command,
                [.. options.Credentials.Select(c => c.Name)],
                sp.GetRequiredService<StatusReporter>(),
                sp.GetRequiredService<AppReloader>(),
                options.Shutdown,
                sp.GetRequiredService<IHostApplicationLifetime>(),
                sp.GetRequiredService<ILogger<ChildProcessRunner>>()));
            services.AddHostedService(sp => sp.GetRequiredService<ChildProcessRunner>());
        }

        configure?.Invoke(services);

        return builder.Build();
    }

    /// <summary>
    /// One credential's supervisor over its own probe, sessions, file, journal section and metrics, sharing the
    /// agent's ScaiVault connection and token source, reloader and status. With several credentials its log category
    /// ends in the credential's name, so that every line says which one it is about.
    /// </summary>
    private static LeaseSupervisor CreateSupervisor(IServiceProvider services, AgentOptions options, CredentialOptions credential)
    {
        var time = services.GetRequiredService<TimeProvider>();
        var category = typeof(LeaseSupervisor).FullName + (options.Credentials.Count > 1 ? $"[{credential.Name}]" : "");
        return new LeaseSupervisor(
            options,
            credential,
            services.GetRequiredService<ScaiVaultClient>().ForLease(credential.Lease),
            new CredentialProbe(credential.Database, time),
            new DatabaseSessions(credential.Database),
            services.GetRequiredService<LeaseJournal>().Section(credential.Name),
            services.GetRequiredService<AppReloader>(),
            new CredentialPublisher(credential.Output),
            time,
            services.GetRequiredService<ILoggerFactory>().CreateLogger(category),
            services.GetRequiredService<IHostApplicationLifetime>(),
            services.GetRequiredService<StatusReporter>(),
            services.GetRequiredService<LeaseMetrics>().For(credential.Name));
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
            // Registered directly, not through AddConsoleFormatter<,>, which binds its options by reflection.
            logging.AddConsole(console => console.FormatterName = TextLogFormatter.FormatterName);
            logging.Services.TryAddEnumerable(ServiceDescriptor.Singleton<ConsoleFormatter, TextLogFormatter>());
        }
    }
}
