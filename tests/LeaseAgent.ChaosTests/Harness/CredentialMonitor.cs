using System.Collections.Concurrent;
using Npgsql;

namespace LeaseAgent.ChaosTests.Harness;

/// <summary>
/// Watches a pod's credential file while faults are injected. One loop notes every document published, when it
/// was first seen, and any read that is not a complete document (I3); another logs in with whatever is published
/// every ~100 ms and reads the tutorial's table. A failed login counts as a failed query unless it is explained:
/// the lease had expired or been revoked by then (per the emulator's state store), or the caller's
/// <c>excuse</c> accepts it (the database itself was down).
/// </summary>
public sealed class CredentialMonitor : IAsyncDisposable
{
    private static readonly TimeSpan WatchPeriod = TimeSpan.FromMilliseconds(20);
    private static readonly TimeSpan LoginPeriod = TimeSpan.FromMilliseconds(100);

    private readonly ChaosPod _pod;
    private readonly Func<DateTimeOffset, DateTimeOffset, Exception, bool> _excuse;
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentDictionary<string, SeenDocument> _seen = new(StringComparer.Ordinal);
    private readonly Task _watch;
    private readonly Task _login;
    private volatile SeenDocument? _current;
    private long _logins;
    private long _successes;
    private long _excused;

    public CredentialMonitor(ChaosPod pod, Func<DateTimeOffset, DateTimeOffset, Exception, bool>? excuse = null)
    {
        _pod = pod;
        _excuse = excuse ?? ((_, _, _) => false);
        _watch = Task.Run(WatchAsync);
        _login = Task.Run(LoginAsync);
    }

    public long Logins => Interlocked.Read(ref _logins);

    public long Excused => Interlocked.Read(ref _excused);

    public ConcurrentQueue<string> FailedLogins { get; } = new();

    public ConcurrentQueue<string> InvalidReads { get; } = new();

    public IReadOnlyCollection<SeenDocument> Documents => [.. _seen.Values.OrderBy(d => d.FirstSeen)];

    /// <summary>Waits until the monitor itself has logged in once more with what is published now.</summary>
    public Task WaitForLoginAsync(TimeSpan timeout)
    {
        var before = Interlocked.Read(ref _successes);
        return LeaseAgent.Testing.Eventually.TrueAsync(() => Interlocked.Read(ref _successes) > before, timeout, "a login of the monitor with the published credential");
    }

    public async ValueTask DisposeAsync()
    {
        if (_stop.IsCancellationRequested)
        {
            return;
        }

        await _stop.CancelAsync();
        await Task.WhenAll(_watch, _login);
    }

    private async Task WatchAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                var bytes = await File.ReadAllBytesAsync(_pod.OutputFile);
                var problem = CredentialDocumentCheck.Problem(bytes, out var credential);
                if (problem is not null)
                {
                    InvalidReads.Enqueue($"{DateTime.UtcNow:HH:mm:ss.fff}: {problem}");
                }
                else
                {
                    _current = _seen.GetOrAdd(credential!.LeaseId, _ => new SeenDocument(credential, DateTimeOffset.UtcNow));
                }
            }
            catch (FileNotFoundException)
            {
                _current = null;
            }

            await Delay(WatchPeriod);
        }
    }

    private async Task LoginAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            if (_current is { } document)
            {
                var started = DateTimeOffset.UtcNow;
                try
                {
                    var builder = new NpgsqlConnectionStringBuilder(document.Credential.ConnectionString) { Pooling = false, Timeout = 3, CommandTimeout = 3 };
                    await using var connection = new NpgsqlConnection(builder.ConnectionString);
                    await connection.OpenAsync();
                    await using var command = new NpgsqlCommand("SELECT count(*) FROM report", connection);
                    var rows = (long)(await command.ExecuteScalarAsync())!;
                    document.Verified = rows == 10;
                    Interlocked.Increment(ref _logins);
                    Interlocked.Increment(ref _successes);
                }
                catch (Exception e) when (e is NpgsqlException or TimeoutException or IOException)
                {
                    Interlocked.Increment(ref _logins);
                    await JudgeAsync(document, started, DateTimeOffset.UtcNow, e);
                }
            }

            await Delay(LoginPeriod);
        }
    }

    private async Task JudgeAsync(SeenDocument document, DateTimeOffset started, DateTimeOffset failed, Exception error)
    {
        if (_excuse(started, failed, error))
        {
            Interlocked.Increment(ref _excused);
            return;
        }

        // Give a revocation in progress time to be recorded, then ask the state store what the lease was.
        await Task.Delay(TimeSpan.FromSeconds(1.5));
        var lease = await _pod.Role.Emulator.LeaseRecordAsync(document.Credential.LeaseId);
        var revokedThen = lease is { State: not "active", RevokedAt: { } revokedAt } && revokedAt <= failed + TimeSpan.FromSeconds(1.5);
        var expiredThen = lease is not null && lease.ExpiresAt <= failed + TimeSpan.FromSeconds(0.5);
        if (revokedThen || expiredThen)
        {
            Interlocked.Increment(ref _excused);
            return;
        }

        FailedLogins.Enqueue($"{failed:HH:mm:ss.fff} {document.Credential} failed while its lease was live ({lease}): {error.GetType().Name} {(error as PostgresException)?.SqlState} {error.Message}");
    }

    private async Task Delay(TimeSpan period)
    {
        try
        {
            await Task.Delay(period, _stop.Token);
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }
    }

    /// <summary>A published document, when the monitor first saw it, and whether a login with it has worked.</summary>
    public sealed class SeenDocument(PublishedCredential credential, DateTimeOffset firstSeen)
    {
        public PublishedCredential Credential { get; } = credential;

        public DateTimeOffset FirstSeen { get; } = firstSeen;

        public bool Verified { get; set; }
    }
}
