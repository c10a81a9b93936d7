using System.Text.Json;

namespace ReportingService;

/// <summary>Builds the service: the credential store and its reloader, structured logging, and the endpoints.</summary>
public static class ReportingApp
{
    /// <summary>
    /// Creates the application. <paramref name="options"/> defaults to the environment's
    /// (<see cref="ReportingOptions.FromConfiguration"/>); <paramref name="configure"/> lets a test adjust the
    /// builder (listen address, log providers) before it is built.
    /// </summary>
    public static WebApplication Create(string[] args, ReportingOptions? options = null, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateBuilder(args);
        options ??= ReportingOptions.FromConfiguration(builder.Configuration);

        builder.Logging.ClearProviders();
        if (options.LogFormat == "text")
        {
            builder.Logging.AddSimpleConsole(console =>
            {
                console.SingleLine = true;
                console.UseUtcTimestamp = true;
                console.TimestampFormat = "HH:mm:ss.fff ";
            });
        }
        else
        {
            builder.Logging.AddJsonConsole(console =>
            {
                console.UseUtcTimestamp = true;
                console.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ";
            });
        }

        // One line per request would drown the reloads; the lifetime lines ("Now listening on") stay.
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);

        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton<CredentialStore>();
        builder.Services.AddSingleton<CredentialReloader>();
        builder.Services.AddHostedService(services => services.GetRequiredService<CredentialReloader>());
        builder.Services.ConfigureHttpJsonOptions(json => json.SerializerOptions.PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower);

        configure?.Invoke(builder);

        var app = builder.Build();
        app.MapGet("/report", ReportEndpoints.ReportAsync);
        app.MapGet("/healthz", ReportEndpoints.Health);
        return app;
    }
}
