using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;

namespace ReportingService.Tests.Support;

/// <summary>
/// A few concurrent clients calling <c>GET /report</c> back to back. Every answer is checked: status 200,
/// the database's <c>current_user</c> equal to the user the service says served it, all <see cref="ReportingDatabase.Rows"/>
/// rows counted, and one generation per user. Anything else, or a transport error, is a failure. The loops
/// stop on <see cref="StopAsync"/>, or by themselves after <c>maxDuration</c> or <c>maxRequests</c>.
/// </summary>
public sealed class ReportLoad : IAsyncDisposable
{
    private readonly HttpClient _http;
    private readonly CancellationTokenSource _stop;
    private readonly Task[] _clients;
    private readonly int _maxRequests;
    private readonly ConcurrentDictionary<string, long> _servedBy = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int> _generationOf = new(StringComparer.Ordinal);
    private long _requests;
    private long _succeeded;

    private ReportLoad(Uri baseAddress, int clients, TimeSpan maxDuration, int maxRequests)
    {
        _maxRequests = maxRequests;
        _http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = clients }) { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(30) };
        _stop = new CancellationTokenSource(maxDuration);
        _clients = [.. Enumerable.Range(0, clients).Select(_ => Task.Run(RunAsync))];
    }

    public ConcurrentQueue<string> Failures { get; } = new();

    public long Requests => Interlocked.Read(ref _requests);

    public long Succeeded => Interlocked.Read(ref _succeeded);

    /// <summary>Users that served at least one request, with how many each.</summary>
    public IReadOnlyDictionary<string, long> ServedBy => _servedBy;

    public static ReportLoad Start(Uri baseAddress, int clients, TimeSpan maxDuration, int maxRequests = 500_000) =>
        new(baseAddress, clients, maxDuration, maxRequests);

    public long Served(TestUser user) => _servedBy.GetValueOrDefault(user.Name);

    public int? GenerationOf(TestUser user) => _generationOf.TryGetValue(user.Name, out var generation) ? generation : null;

    public async Task StopAsync()
    {
        await _stop.CancelAsync();
        await Task.WhenAll(_clients);
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _http.Dispose();
        _stop.Dispose();
    }

    private async Task RunAsync()
    {
        while (!_stop.IsCancellationRequested && Interlocked.Increment(ref _requests) <= _maxRequests)
        {
            try
            {
                using var response = await _http.GetAsync(new Uri("report", UriKind.Relative), _stop.Token);
                var body = await response.Content.ReadAsStringAsync(_stop.Token);
                if (response.StatusCode != HttpStatusCode.OK)
                {
                    Fail($"{(int)response.StatusCode} {body}");
                    continue;
                }

                Check(body);
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested)
            {
                Interlocked.Decrement(ref _requests); // cut off by the stop, not answered
                return;
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException or IOException or JsonException or KeyNotFoundException or InvalidOperationException or IndexOutOfRangeException)
            {
                Fail($"{e.GetType().Name}: {e.Message}");
            }
        }
    }

    private void Check(string body)
    {
        using var document = JsonDocument.Parse(body);
        var root = document.RootElement;
        var servedBy = root.GetProperty("served_by").GetString()!;
        var generation = root.GetProperty("generation").GetInt32();
        var row = root.GetProperty("result")[0];
        var currentUser = row.GetProperty("served_by").GetString();
        var rows = row.GetProperty("rows").GetInt64();
        if (currentUser != servedBy || rows != ReportingDatabase.Rows)
        {
            Fail($"served by {servedBy} (generation {generation}) but current_user {currentUser} counted {rows} rows");
            return;
        }

        var known = _generationOf.GetOrAdd(servedBy, generation);
        if (known != generation)
        {
            Fail($"{servedBy} served as generation {generation} and as {known}");
            return;
        }

        _servedBy.AddOrUpdate(servedBy, 1, (_, count) => count + 1);
        Interlocked.Increment(ref _succeeded);
    }

    private void Fail(string what) => Failures.Enqueue($"{DateTime.UtcNow:HH:mm:ss.fff} {what}");
}
