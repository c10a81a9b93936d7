using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using ScaiVault.CsiProvider.Configuration;
using ScaiVault.CsiProvider.Hosting;
using ScaiVault.CsiProvider.Mounting;

namespace ScaiVault.CsiProvider.Tests.Infrastructure;

/// <summary>
/// The provider's gRPC service with its real Mount services (<see cref="MountingServices.AddMounting"/>), hosted in
/// the test process on a Unix socket, for tests that need no separate process. It keeps every log line the provider
/// writes (for the log scan) and counts the ScaiVault calls on the wire, inside the bulkhead.
/// </summary>
public sealed class InProcessProvider : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly SocketDirectory _directory;

    private InProcessProvider(WebApplication app, SocketDirectory directory, ProviderOptions options, WireCounter wire, CapturedLog log)
    {
        _app = app;
        _directory = directory;
        Options = options;
        Wire = wire;
        Log = log;
        Driver = new FakeDriver(directory.Socket);
    }

    public ProviderOptions Options { get; }

    public string Socket => _directory.Socket;

    /// <summary>A driver dialling this provider.</summary>
    public FakeDriver Driver { get; }

    /// <summary>The ScaiVault calls that reached the wire (after the bulkhead): how many, and the most at once.</summary>
    public WireCounter Wire { get; }

    /// <summary>Every line the provider logged, with its structured values.</summary>
    public CapturedLog Log { get; }

    /// <summary>Starts on a fresh socket against <paramref name="scaiVaultUrl"/>; <paramref name="configure"/> changes the defaults.</summary>
    public static async Task<InProcessProvider> StartAsync(Uri scaiVaultUrl, Func<ProviderOptions, ProviderOptions>? configure = null)
    {
        var directory = new SocketDirectory();
        var options = new ProviderOptions
        {
            Endpoint = directory.Socket,
            ScaiVaultUrl = scaiVaultUrl,
            AllowedUrls = [],
            DefaultAudience = "scaivault",
            MaxConcurrency = 16,
            RequestTimeout = TimeSpan.FromSeconds(45),
            JsonLogs = true,
        };
        options = configure?.Invoke(options) ?? options;

        var wire = new WireCounter();
        var log = new CapturedLog();
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [] });
        builder.Logging.ClearProviders();
        builder.Logging.SetMinimumLevel(LogLevel.Information);
        builder.Logging.AddProvider(log);
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.ListenUnixSocket(options.Endpoint, listen => listen.Protocols = HttpProtocols.Http2));
        builder.Services.AddMounting(options, inner => wire.Wrap(inner));
        builder.Services.AddGrpc(grpc => grpc.MaxReceiveMessageSize = ProviderHost.MaxMessageBytes);
        var app = builder.Build();
        app.MapGrpcService<CsiDriverProviderService>();
        await app.StartAsync();
        return new InProcessProvider(app, directory, options, wire, log);
    }

    public async ValueTask DisposeAsync()
    {
        Driver.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
        _directory.Dispose();
    }

    /// <summary>Counts requests in flight between the provider's bulkhead and the socket.</summary>
    public sealed class WireCounter
    {
        private int _inFlight;
        private int _maxInFlight;
        private int _total;

        public int MaxInFlight => Volatile.Read(ref _maxInFlight);

        public int Total => Volatile.Read(ref _total);

        internal HttpMessageHandler Wrap(HttpMessageHandler inner) => new Counting(this) { InnerHandler = inner };

        private sealed class Counting(WireCounter counter) : DelegatingHandler
        {
            protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
            {
                Interlocked.Increment(ref counter._total);
                var now = Interlocked.Increment(ref counter._inFlight);
                for (var max = Volatile.Read(ref counter._maxInFlight); now > max; max = Volatile.Read(ref counter._maxInFlight))
                {
                    Interlocked.CompareExchange(ref counter._maxInFlight, now, max);
                }

                try
                {
                    return await base.SendAsync(request, cancellationToken);
                }
                finally
                {
                    Interlocked.Decrement(ref counter._inFlight);
                }
            }
        }
    }

    /// <summary>The provider's log: each line's level, event id, message and structured values.</summary>
    public sealed class CapturedLog : ILoggerProvider, ILogger
    {
        private readonly ConcurrentQueue<(LogLevel Level, int EventId, string Text)> _lines = new();

        public IReadOnlyList<(LogLevel Level, int EventId, string Text)> Lines => [.. _lines];

        public int Count(int eventId) => _lines.Count(l => l.EventId == eventId);

        public ILogger CreateLogger(string categoryName) => this;

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            // The message and every structured value (a JSON console would write them all), and the exception.
            var values = state is IReadOnlyList<KeyValuePair<string, object?>> pairs ? string.Join(" ", pairs.Select(p => $"{p.Key}={p.Value}")) : "";
            _lines.Enqueue((logLevel, eventId.Id, $"{formatter(state, exception)} | {values} | {exception}"));
        }

        public void Dispose()
        {
        }
    }
}
