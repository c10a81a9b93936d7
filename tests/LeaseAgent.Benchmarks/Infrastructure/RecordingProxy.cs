using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using ScaiVault.Emulator.Hosting;

namespace LeaseAgent.Benchmarks.Infrastructure;

/// <summary>One request an agent sent through the proxy, with the emulator's answer (status 0: the agent gave up first).</summary>
/// <param name="Received">Stopwatch timestamp at which the proxy received the request.</param>
/// <param name="Answered">Stopwatch timestamp at which the emulator's answer reached the proxy.</param>
/// <param name="RetryAfterSeconds">The answer's <c>Retry-After</c>, if any.</param>
public sealed record ProxiedRequest(string Agent, string Method, string Path, int Status, int? RetryAfterSeconds, long Received, long Answered)
{
    public bool IsGenerate => Method == "POST" && Path.Contains("/creds/", StringComparison.Ordinal);

    public bool IsRevoke => Method == "POST" && Path.EndsWith("/revoke", StringComparison.Ordinal);
}

/// <summary>
/// A forwarding proxy in front of the emulator that tells the agents of a fleet apart: agent <c>a</c> is given
/// <c>SCAIVAULT_URL=http://proxy/a/</c> (the agent keeps the base URL's path), and every request is recorded with
/// its agent, status and <c>Retry-After</c>. The agents share one identity, so the emulator alone cannot say
/// which agent sent a request.
/// </summary>
public sealed class RecordingProxy : IAsyncDisposable
{
    private static readonly HashSet<string> HopByHop = new(StringComparer.OrdinalIgnoreCase) { "Transfer-Encoding", "Connection", "Keep-Alive" };

    private readonly WebApplication _app;
    private readonly HttpClient _upstream;
    private readonly Uri _target;

    private RecordingProxy(WebApplication app, Uri target)
    {
        _app = app;
        _target = target;
        _upstream = new HttpClient(new SocketsHttpHandler { UseCookies = false, AutomaticDecompression = System.Net.DecompressionMethods.None })
        {
            Timeout = Timeout.InfiniteTimeSpan,
        };
    }

    public Uri BaseAddress => _app.GetBaseAddress();

    public ConcurrentQueue<ProxiedRequest> Requests { get; } = new();

    public static async Task<RecordingProxy> StartAsync(Uri target)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var proxy = new RecordingProxy(app, target);
        app.Run(proxy.ForwardAsync);
        await app.StartAsync();
        return proxy;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        _upstream.Dispose();
    }

    private async Task ForwardAsync(HttpContext context)
    {
        var received = Stopwatch.GetTimestamp();
        var path = context.Request.Path.Value ?? "/";
        var slash = path.IndexOf('/', 1);
        if (slash < 0)
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return;
        }

        var agent = path[1..slash];
        var rest = path[slash..];
        using var request = new HttpRequestMessage(new HttpMethod(context.Request.Method), new Uri(_target, rest.TrimStart('/') + context.Request.QueryString));
        if (context.Request.ContentLength > 0 || context.Request.Headers.TransferEncoding.Count > 0)
        {
            request.Content = new StreamContent(context.Request.Body);
            if (context.Request.ContentType is { } contentType)
            {
                request.Content.Headers.TryAddWithoutValidation("Content-Type", contentType);
            }
        }

        foreach (var (name, values) in context.Request.Headers)
        {
            if (!HopByHop.Contains(name) && !name.StartsWith("Content-", StringComparison.OrdinalIgnoreCase) && name != "Host")
            {
                request.Headers.TryAddWithoutValidation(name, (IEnumerable<string?>)values);
            }
        }

        HttpResponseMessage response;
        try
        {
            response = await _upstream.SendAsync(request, HttpCompletionOption.ResponseContentRead, context.RequestAborted);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The agent gave up before the emulator answered: recorded with status 0.
            Requests.Enqueue(new ProxiedRequest(agent, context.Request.Method, rest, 0, null, received, Stopwatch.GetTimestamp()));
            return;
        }

        using var answer = response;
        var answered = Stopwatch.GetTimestamp();
        context.Response.StatusCode = (int)response.StatusCode;
        foreach (var (name, values) in response.Headers.Concat(response.Content.Headers))
        {
            if (!HopByHop.Contains(name))
            {
                context.Response.Headers[name] = values.ToArray();
            }
        }

        int? retryAfter = response.Headers.TryGetValues("Retry-After", out var retry) && int.TryParse(retry.First(), NumberStyles.None, CultureInfo.InvariantCulture, out var seconds)
            ? seconds
            : null;
        Requests.Enqueue(new ProxiedRequest(agent, context.Request.Method, rest, (int)response.StatusCode, retryAfter, received, answered));
        await response.Content.CopyToAsync(context.Response.Body, context.RequestAborted);
    }
}
