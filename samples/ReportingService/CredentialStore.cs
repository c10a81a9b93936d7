using Npgsql;

namespace ReportingService;

/// <summary>What one <see cref="CredentialStore.Reload"/> did.</summary>
public enum ReloadOutcome
{
    /// <summary>A new generation was loaded; new requests use it from now on.</summary>
    Loaded,

    /// <summary>The file holds the generation and user already loaded.</summary>
    Unchanged,

    /// <summary>The file is not one complete, valid document: ignored, the current credential stays.</summary>
    Invalid,

    /// <summary>The file could not be read (permissions, I/O): the current credential stays.</summary>
    Unreadable,

    /// <summary>No file, and none was loaded before.</summary>
    Missing,

    /// <summary>The file was removed (lease-agent does so when its lease is lost or revoked): no credential any more.</summary>
    Removed,

    /// <summary>The store is shutting down.</summary>
    Disposed,
}

/// <summary>
/// The credential in use and its pooled <see cref="NpgsqlDataSource"/>. A reload swaps in a new data source
/// for new requests at once; the old one is disposed (closing its idle sessions, so the old user has none
/// left and lease-agent can revoke it early) only when the last request that was using it has finished,
/// so no request is dropped by a rotation.
/// </summary>
public sealed class CredentialStore(ReportingOptions options, ILogger<CredentialStore> logger) : IAsyncDisposable
{
    /// <summary>The <c>Application Name</c> the service's sessions carry in <c>pg_stat_activity</c>.</summary>
    public const string ApplicationName = "reporting-service";

    private readonly Lock _gate = new(); // guards _current, _closing and every pool's counters
    private readonly Lock _reloadGate = new(); // one reload at a time
    private readonly List<Task> _closing = [];
    private Pool? _current;
    private bool _disposed;

    /// <summary>The credential new requests use, or null when none is loaded.</summary>
    public DbCredential? Current
    {
        get
        {
            lock (_gate)
            {
                return _current?.Credential;
            }
        }
    }

    /// <summary>
    /// Takes the current data source for one request; dispose the lease when the request is done with it.
    /// Null when no credential is loaded.
    /// </summary>
    public PoolLease? Acquire()
    {
        lock (_gate)
        {
            if (_current is null)
            {
                return null;
            }

            _current.InFlight++;
            return new PoolLease(this, _current);
        }
    }

    /// <summary>Re-reads the credential file and swaps in a new data source when it holds a new user.</summary>
    public ReloadOutcome Reload(string trigger)
    {
        lock (_reloadGate)
        {
            if (_disposed)
            {
                return ReloadOutcome.Disposed;
            }

            byte[] bytes;
            try
            {
                bytes = File.ReadAllBytes(options.CredentialsFile);
            }
            catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
            {
                return Remove(trigger);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                Log.CredentialUnreadable(logger, options.CredentialsFile, e.GetType().Name, trigger);
                return ReloadOutcome.Unreadable;
            }

            var credential = DbCredential.Parse(bytes, ApplicationName, out var problem);
            if (credential is null)
            {
                Log.CredentialIgnored(logger, options.CredentialsFile, problem!, trigger);
                return ReloadOutcome.Invalid;
            }

            var current = Current;
            if (credential.IsSameAs(current))
            {
                Log.CredentialUnchanged(logger, credential.Generation, trigger);
                return ReloadOutcome.Unchanged;
            }

            if (current is not null && credential.Generation < current.Generation)
            {
                Log.GenerationWentBack(logger, current.Generation, credential.Generation);
            }

            var pool = new Pool(credential, new NpgsqlDataSourceBuilder(credential.ConnectionString).Build());
            Pool? old;
            lock (_gate)
            {
                old = _current;
                _current = pool;
            }

            Log.CredentialLoaded(logger, credential.Generation, credential.Username, credential.LeaseId ?? "?", credential.Host, credential.Port, credential.Database, credential.ExpiresAt, trigger);
            if (old is not null)
            {
                Retire(old);
            }

            return ReloadOutcome.Loaded;
        }
    }

    public async ValueTask DisposeAsync()
    {
        Pool? last;
        lock (_reloadGate)
        {
            _disposed = true;
            lock (_gate)
            {
                last = _current;
                _current = null;
            }
        }

        if (last is not null)
        {
            Retire(last);
        }

        Task[] closing;
        lock (_gate)
        {
            closing = [.. _closing];
        }

        await Task.WhenAll(closing);
    }

    internal void Release(Pool pool)
    {
        bool close;
        lock (_gate)
        {
            pool.InFlight--;
            close = pool.Retired && pool.InFlight == 0 && !pool.Closed;
            pool.Closed |= close;
        }

        if (close)
        {
            StartClosing(pool);
        }
    }

    /// <summary>The file is gone: lease-agent lost or revoked the lease, so stop handing out a dead user.</summary>
    private ReloadOutcome Remove(string trigger)
    {
        Pool? old;
        lock (_gate)
        {
            old = _current;
            _current = null;
        }

        if (old is null)
        {
            Log.CredentialMissing(logger, options.CredentialsFile, trigger);
            return ReloadOutcome.Missing;
        }

        Log.CredentialRemoved(logger, options.CredentialsFile, old.Credential.Generation, trigger);
        Retire(old);
        return ReloadOutcome.Removed;
    }

    private void Retire(Pool pool)
    {
        int inFlight;
        bool close;
        lock (_gate)
        {
            pool.Retired = true;
            inFlight = pool.InFlight;
            close = inFlight == 0 && !pool.Closed;
            pool.Closed |= close;
        }

        Log.PoolRetired(logger, pool.Credential.Generation, pool.Credential.Username, inFlight);
        if (close)
        {
            StartClosing(pool);
        }
    }

    private void StartClosing(Pool pool)
    {
        var closing = CloseAsync(pool);
        lock (_gate)
        {
            _closing.RemoveAll(task => task.IsCompleted);
            _closing.Add(closing);
        }
    }

    private async Task CloseAsync(Pool pool)
    {
        await Task.Yield(); // never dispose on the thread of the request that finished last
        try
        {
            await pool.Source.DisposeAsync(); // closes the pool's connections: the old user's sessions end
            Log.PoolClosed(logger, pool.Credential.Generation, pool.Credential.Username);
        }
        catch (Exception e) when (e is NpgsqlException or IOException or InvalidOperationException)
        {
            Log.PoolCloseFailed(logger, pool.Credential.Generation, pool.Credential.Username, e.GetType().Name);
        }
    }

    /// <summary>One generation's data source and the requests using it.</summary>
    internal sealed class Pool(DbCredential credential, NpgsqlDataSource source)
    {
        public DbCredential Credential { get; } = credential;

        public NpgsqlDataSource Source { get; } = source;

        public int InFlight { get; set; }

        public bool Retired { get; set; }

        public bool Closed { get; set; }
    }
}

/// <summary>One request's hold on a generation's data source; disposing it lets a retired data source close.</summary>
public sealed class PoolLease : IDisposable
{
    private readonly CredentialStore _store;
    private readonly CredentialStore.Pool _pool;
    private int _released;

    internal PoolLease(CredentialStore store, CredentialStore.Pool pool)
    {
        _store = store;
        _pool = pool;
    }

    public DbCredential Credential => _pool.Credential;

    public NpgsqlDataSource DataSource => _pool.Source;

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _released, 1) == 0)
        {
            _store.Release(_pool);
        }
    }
}
