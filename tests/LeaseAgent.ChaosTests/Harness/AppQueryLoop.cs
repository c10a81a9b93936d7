using System.Collections.Concurrent;
using Npgsql;

namespace LeaseAgent.ChaosTests.Harness;

/// <summary>
/// A well-written app: it watches the credential file's directory (a watch on the file dies with the rename),
/// builds a new pooled data source when a new generation is published, sends new queries there at once, and
/// closes the old pool as soon as the queries still running on it have finished. Two workers each run
/// <c>SELECT count(*) FROM report</c> every ~20 ms; every failure is recorded.
/// </summary>
public sealed class AppQueryLoop : IAsyncDisposable
{
    private const int Workers = 2;
    private static readonly TimeSpan Period = TimeSpan.FromMilliseconds(20);
    private static readonly TimeSpan PollFallback = TimeSpan.FromSeconds(1);

    private readonly string _file;
    private readonly FileSystemWatcher _watcher;
    private readonly CancellationTokenSource _stop = new();
    private readonly Lock _gate = new();
    private readonly Task[] _workers;
    private Pool? _pool;
    private int _changed = 1;
    private DateTime _lastReload = DateTime.MinValue;
    private long _queries;

    public AppQueryLoop(string file)
    {
        _file = file;
        _watcher = new FileSystemWatcher(Path.GetDirectoryName(file)!, Path.GetFileName(file))
        {
            NotifyFilter = NotifyFilters.FileName | NotifyFilters.LastWrite | NotifyFilters.Size,
        };
        _watcher.Created += (_, _) => Volatile.Write(ref _changed, 1);
        _watcher.Changed += (_, _) => Volatile.Write(ref _changed, 1);
        _watcher.Renamed += (_, _) => Volatile.Write(ref _changed, 1);
        _watcher.EnableRaisingEvents = true;
        _workers = [.. Enumerable.Range(0, Workers).Select(i => Task.Run(() => WorkAsync(i)))];
    }

    public long Queries => Interlocked.Read(ref _queries);

    public ConcurrentQueue<string> Failures { get; } = new();

    /// <summary>When the first query failed (UTC), to place it in the agent's log.</summary>
    public DateTime? FirstFailureAt { get; private set; }

    /// <summary>The users the app has queried as, in order.</summary>
    public ConcurrentQueue<string> Users { get; } = new();

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await Task.WhenAll(_workers);
        _watcher.Dispose();
        Pool? last;
        lock (_gate)
        {
            last = _pool;
            _pool = null;
        }

        if (last is not null)
        {
            await last.Source.DisposeAsync();
        }

        _stop.Dispose();
    }

    private async Task WorkAsync(int worker)
    {
        await Task.Delay(Period / Workers * worker);
        while (!_stop.IsCancellationRequested)
        {
            var pool = Current();
            if (pool is not null)
            {
                try
                {
                    await using var command = pool.Source.CreateCommand("SELECT count(*) FROM report");
                    var rows = (long)(await command.ExecuteScalarAsync())!;
                    Interlocked.Increment(ref _queries);
                    if (rows != 10)
                    {
                        Fail($"as {pool.Credential}: {rows} rows instead of 10");
                    }
                }
                catch (Exception e) when (e is NpgsqlException or InvalidOperationException or TimeoutException)
                {
                    Interlocked.Increment(ref _queries);
                    Fail($"as {pool.Credential}: {e.GetType().Name} {(e as PostgresException)?.SqlState} {e.Message}");
                }
                finally
                {
                    await ReleaseAsync(pool);
                }
            }

            try
            {
                await Task.Delay(Period, _stop.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }
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

    /// <summary>The pool for the newest credential, entered (its in-flight count raised); reloads when the file changed.</summary>
    private Pool? Current()
    {
        Pool? retired = null;
        Pool? current;
        lock (_gate)
        {
            if (Interlocked.Exchange(ref _changed, 0) == 1 || DateTime.UtcNow - _lastReload > PollFallback)
            {
                _lastReload = DateTime.UtcNow;
                retired = Reload();
            }

            current = _pool;
            if (current is not null)
            {
                current.InFlight++;
            }
        }

        if (retired is not null)
        {
            _ = ReleaseAsync(retired, retire: true);
        }

        return current;
    }

    /// <summary>Swaps in a new pool when a new generation is published; returns the old one. Called under the lock.</summary>
    private Pool? Reload()
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(_file);
        }
        catch (FileNotFoundException)
        {
            return null; // nothing published (yet, or any more): keep what we have
        }

        if (CredentialDocumentCheck.Problem(bytes, out var credential) is not null || credential!.Generation == _pool?.Credential.Generation)
        {
            return null;
        }

        var old = _pool;
        _pool = new Pool(credential, NpgsqlDataSource.Create(credential.ConnectionString));
        Users.Enqueue(credential.Username);
        return old;
    }

    private async Task ReleaseAsync(Pool pool, bool retire = false)
    {
        bool close;
        lock (_gate)
        {
            if (!retire)
            {
                pool.InFlight--;
            }

            pool.Retired |= retire;
            close = pool.Retired && pool.InFlight == 0 && !pool.Closed;
            pool.Closed |= close;
        }

        if (close)
        {
            await pool.Source.DisposeAsync(); // closes its connections: the old user's sessions end
        }
    }

    private sealed class Pool(PublishedCredential credential, NpgsqlDataSource source)
    {
        public PublishedCredential Credential { get; } = credential;

        public NpgsqlDataSource Source { get; } = source;

        public int InFlight { get; set; }

        public bool Retired { get; set; }

        public bool Closed { get; set; }
    }
}
