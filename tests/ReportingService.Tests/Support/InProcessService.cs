using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace ReportingService.Tests.Support;

/// <summary>
/// The service built by its own <see cref="ReportingApp.Create"/> and served by Kestrel on a loopback port
/// chosen by the kernel, in the test process. The only differences from the real thing: the options are
/// given instead of read from the environment, logs go to the test, and the test process's own signals
/// stay the test host's (no console lifetime).
/// </summary>
public sealed class InProcessService : IAsyncDisposable
{
    private readonly WebApplication _app;

    private InProcessService(WebApplication app, Uri baseAddress)
    {
        _app = app;
        BaseAddress = baseAddress;
    }

    public Uri BaseAddress { get; }

    public CredentialStore Store => _app.Services.GetRequiredService<CredentialStore>();

    public static async Task<InProcessService> StartAsync(ReportingOptions options, CollectingLoggerProvider logs)
    {
        var app = ReportingApp.Create([], options, builder =>
        {
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            builder.Logging.ClearProviders();
            builder.Logging.AddProvider(logs);
            builder.Logging.AddFilter("ReportingService", LogLevel.Debug);
            builder.Services.AddSingleton<IHostLifetime, TestLifetime>();
        });
        try
        {
            await app.StartAsync();
            var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.Single();
            return new InProcessService(app, new Uri(address + "/"));
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private sealed class TestLifetime : IHostLifetime
    {
        public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
