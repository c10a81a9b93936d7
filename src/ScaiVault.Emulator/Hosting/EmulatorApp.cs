using Npgsql;
using ScaiVault.Emulator.Api;
using ScaiVault.Emulator.Auth;
using ScaiVault.Emulator.Dynamic;
using ScaiVault.Emulator.Faults;
using ScaiVault.Emulator.Leases;
using ScaiVault.Emulator.RateLimiting;
using ScaiVault.Emulator.Secrets;
using ScaiVault.Emulator.Storage;
using ScaiVault.Emulator.Subscriptions;

namespace ScaiVault.Emulator.Hosting;

/// <summary>
/// Builds the ScaiVault emulator. <c>scaivault-emulator</c> runs it; tests host it in-process:
/// <code>
/// var app = EmulatorApp.Build(["--urls", "http://127.0.0.1:0", "--postgres", cs, "--admin-token", "admin", "--dev"]);
/// await app.StartAsync();
/// var baseAddress = app.GetBaseAddress();
/// </code>
/// </summary>
public static class EmulatorApp
{
    /// <summary>The issuer of the workload JWTs that <c>--dev</c> mints at <c>POST /_emulator/tokens</c>.</summary>
    public const string DevIssuer = DevSigningKey.Issuer;

    /// <summary>The audience a workload JWT must carry.</summary>
    public const string Audience = WorkloadTokenValidator.Audience;

    /// <summary>Validates the arguments and builds the application; it connects to Postgres when started.</summary>
    /// <exception cref="EmulatorArgumentException">The arguments are unusable (the CLI exits with code 2).</exception>
    public static WebApplication Build(string[] args)
    {
        ArgumentNullException.ThrowIfNull(args);
        var options = EmulatorArguments.Parse(args);
        var issuers = options.TrustedIssuerFiles.Select(p => TrustedIssuerLoader.Load(p.Key, p.Value)).ToList();
        if (options.Dev && issuers.Any(i => i.Issuer == DevIssuer))
        {
            throw new EmulatorArgumentException($"--trust-issuer: '{DevIssuer}' is the built-in --dev issuer; choose another name.");
        }

        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            Args = [],
            ApplicationName = typeof(EmulatorApp).Assembly.GetName().Name,
            ContentRootPath = AppContext.BaseDirectory,
        });
        builder.WebHost.UseUrls([.. options.Urls]);
        ConfigureLogging(builder.Logging, options.LogLevel);
        ConfigureServices(builder.Services, options, issuers);

        var app = builder.Build();
        ConfigurePipeline(app, options);
        return app;
    }

    private static void ConfigureLogging(ILoggingBuilder logging, LogLevel level)
    {
        logging.ClearProviders();
        logging.AddSimpleConsole(console =>
        {
            console.SingleLine = true;
            console.UseUtcTimestamp = true;
            console.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ ";
        });
        logging.SetMinimumLevel(level);

        // The emulator writes its own access line per request; the framework's would repeat it.
        logging.AddFilter("Microsoft.AspNetCore", level > LogLevel.Warning ? level : LogLevel.Warning);

        // A failed start is reported once, as one line, by Program (and as the exception from StartAsync).
        logging.AddFilter("Microsoft.Extensions.Hosting.Internal.Host", LogLevel.Critical);
    }

    private static void ConfigureServices(IServiceCollection services, EmulatorOptions options, List<TrustedIssuer> issuers)
    {
        services.AddSingleton(options);
        services.AddSingleton<IEnumerable<TrustedIssuer>>(issuers);
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton(_ => StateDataSource(options.PostgresConnectionString));

        services.AddSingleton<AccessTokenService>();
        services.AddSingleton<DevSigningKey>();
        services.AddSingleton<WorkloadTokenValidator>();
        services.AddSingleton<SecretStore>();
        services.AddSingleton<EngineStore>();
        services.AddSingleton<EngineService>();
        services.AddSingleton<TargetDatabase>();
        services.AddSingleton<LeaseStore>();
        services.AddSingleton<LeaseService>();
        services.AddSingleton<IdentityRateLimiter>();
        services.AddSingleton<FaultRegistry>();
        services.AddSingleton<SubscriptionStore>();
        services.AddSingleton<SubscriptionSignals>();
        services.AddSingleton<SubscriptionService>();

        // Registration order is start order: the schema must exist before the sweeper's first round.
        services.AddHostedService<StateInitializer>();
        services.AddHostedService<LeaseSweeper>();
    }

    private static NpgsqlDataSource StateDataSource(string connectionString)
    {
        // A long-running server pools its state connections whatever the given string says
        // (test helpers hand out Pooling=false strings); the pool is closed with the app.
        var builder = new NpgsqlConnectionStringBuilder(connectionString) { Pooling = true };
        builder.ApplicationName ??= "scaivault-emulator";
        return NpgsqlDataSource.Create(builder.ConnectionString);
    }

    private static void ConfigurePipeline(WebApplication app, EmulatorOptions options)
    {
        app.UseMiddleware<RequestIdMiddleware>();
        app.UseMiddleware<RateLimitHeadersMiddleware>();
        app.UseMiddleware<ErrorHandlingMiddleware>();
        app.UseStatusCodePages(context => ApiErrorWriter.WriteForBareStatusAsync(context.HttpContext));
        app.UseRouting();
        app.UseMiddleware<FaultMiddleware>();
        app.UseMiddleware<AuthenticationMiddleware>();
        app.UseMiddleware<RateLimitMiddleware>();

        HealthEndpoints.Map(app);
        MetricsEndpoint.Map(app, options);
        AuthEndpoints.Map(app);
        SecretEndpoints.Map(app);
        EngineEndpoints.Map(app);
        LeaseEndpoints.Map(app);
        SubscriptionEndpoints.Map(app);

        var emulator = app.MapGroup(FaultMiddleware.EmulatorPrefix);
        if (!options.Dev)
        {
            emulator.RequireScope(Scope.Admin);
        }

        FaultEndpoints.Map(emulator);
        if (options.Dev)
        {
            DevEndpoints.Map(emulator);
        }
    }
}
