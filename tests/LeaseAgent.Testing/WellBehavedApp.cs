using System.Collections.Concurrent;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using ReportingService;

namespace LeaseAgent.Testing;

/// <summary>
/// The one well-behaved app the chaos suite and the benchmarks drive: the sample ReportingService's own
/// <see cref="CredentialStore"/> and <see cref="CredentialReloader"/> (the code the README and the tutorial teach),
/// following one published credential file, with workers that each run <c>SELECT count(*) FROM report</c>
/// every <c>period</c> through the store's current pool and record every failure. A rotation that breaks
/// this app breaks the tutorial's app too.
/// </summary>
public sealed class WellBehavedApp : IAsyncDisposable
{
    /// <summary>Rows in the <c>report</c> table the test databases are seeded with.</summary>
    public const int ReportRows = 10;

    private readonly CredentialStore _store;
    private readonly CredentialReloader _reloader;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task[] _workers;
    private readonly TimeSpan _period;
    private readonly Lock _gate = new();
    private DbCredential? _lastSeen;
    private long _queries;

    private WellBehavedApp(string file, int workers, TimeSpan period)
    {
        // SIGHUP stays off: a registration would take the signal for the whole test process. The directory watch
        // and a 1 s re-check stand in for it, as they would for an app that cannot be signalled.
        var options = new ReportingOptions { CredentialsFile = file, ReloadOnSighup = false, RecheckInterval = TimeSpan.FromSeconds(1) };
        _store = new CredentialStore(options, NullLogger<CredentialStore>.Instance);
        _reloader = new CredentialReloader(_store, options, NullLogger<CredentialReloader>.Instance);
        _period = period;
        _workers = [.. Enumerable.Range(0, workers).Select(i => Task.Run(() => WorkAsync(i, workers)))];
    }

    /// <summary>Starts following <paramref name="file"/> (which need not exist yet) with <paramref name="workers"/> query loops.</summary>
    public static async Task<WellBehavedApp> StartAsync(string file, int workers = 2, TimeSpan? period = null)
    {
        var app = new WellBehavedApp(file, workers, period ?? TimeSpan.FromMilliseconds(20));
        await app._reloader.StartAsync(CancellationToken.None);
        return app;
    }

    /// <summary>Queries run (failed ones included).</summary>
    public long Queries => Interlocked.Read(ref _queries);

    /// <summary>Every failed query: when (UTC), as whom, and why.</summary>
    public ConcurrentQueue<string> Failures { get; } = new();

    /// <summary>When the first query failed (UTC), to place it in the agent's log.</summary>
    public DateTime? FirstFailureAt { get; private set; }

    /// <summary>The users the app has queried as, in order.</summary>
    public ConcurrentQueue<string> Users { get; } = new();

    /// <summary>The generations the app has queried with, in order.</summary>
    public ConcurrentQueue<int> Generations { get; } = new();

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await Task.WhenAll(_workers);
        await _reloader.StopAsync(CancellationToken.None);
        _reloader.Dispose();
        await _store.DisposeAsync();
        _stop.Dispose();
    }

    private async Task WorkAsync(int worker, int workers)
    {
        try
        {
            await Task.Delay(_period / workers * worker, _stop.Token);
            while (!_stop.IsCancellationRequested)
            {
                using (var lease = _store.Acquire())
                {
                    if (lease is not null)
                    {
                        await QueryAsync(lease);
                    }
                }

                await Task.Delay(_period, _stop.Token);
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
            // disposed
        }
    }

    private async Task QueryAsync(PoolLease lease)
    {
        Seen(lease.Credential);
        try
        {
            await using var command = lease.DataSource.CreateCommand("SELECT count(*) FROM report");
            var rows = (long)(await command.ExecuteScalarAsync(_stop.Token))!;
            Interlocked.Increment(ref _queries);
            if (rows != ReportRows)
            {
                Fail($"as {lease.Credential}: {rows} rows instead of {ReportRows}");
            }
        }
        catch (Exception e) when (e is NpgsqlException or InvalidOperationException or TimeoutException && !_stop.IsCancellationRequested)
        {
            Interlocked.Increment(ref _queries);
            Fail($"as {lease.Credential}: {e.GetType().Name} {(e as PostgresException)?.SqlState} {e.Message}");
        }
    }

    private void Seen(DbCredential credential)
    {
        lock (_gate)
        {
            if (credential.IsSameAs(_lastSeen))
            {
                return;
            }

            _lastSeen = credential;
            Users.Enqueue(credential.Username);
            Generations.Enqueue(credential.Generation);
        }
    }

    private void Fail(string what)
    {
        var now = DateTime.UtcNow;
        lock (_gate)
        {
            FirstFailureAt ??= now;
        }

        Failures.Enqueue($"{now:HH:mm:ss.fff} {what}");
    }
}
