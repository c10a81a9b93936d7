using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Npgsql;

namespace LeaseAgent.Benchmarks.Infrastructure;

/// <summary>
/// The app of figure 5, written as the README asks apps to be: it watches the credential file's directory,
/// re-reads the file when it changes, and when another lease is published it sends its next query through a new
/// pool and closes the old one. It queries <c>SELECT count(*) FROM report</c> every ~10 ms and records every
/// failure.
/// </summary>
public sealed class AppQueryLoop : IAsyncDisposable
{
    private static readonly TimeSpan Period = TimeSpan.FromMilliseconds(10);

    private readonly string _file;
    private readonly FileSystemWatcher _watcher;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private int _changed = 1;
    private NpgsqlDataSource? _pool;
    private int _generation;
    private string? _leaseId;

    public AppQueryLoop(string file)
    {
        _file = file;
        _watcher = new FileSystemWatcher(Path.GetDirectoryName(file)!) { NotifyFilter = NotifyFilters.FileName | NotifyFilters.LastWrite };
        FileSystemEventHandler changed = (_, e) =>
        {
            if (e.Name == Path.GetFileName(file))
            {
                Volatile.Write(ref _changed, 1);
            }
        };
        _watcher.Created += changed;
        _watcher.Changed += changed;
        _watcher.Renamed += (sender, e) => changed(sender, e);
        _watcher.EnableRaisingEvents = true;
        _loop = Task.Run(LoopAsync);
    }

    public long Queries { get; private set; }

    public ConcurrentQueue<string> Failures { get; } = new();

    /// <summary>The generations the app has queried with, in order.</summary>
    public ConcurrentQueue<int> Generations { get; } = new();

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _loop;
        _watcher.Dispose();
        if (_pool is not null)
        {
            await _pool.DisposeAsync();
        }

        _stop.Dispose();
    }

    private async Task LoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            if (Interlocked.Exchange(ref _changed, 0) == 1)
            {
                await ReloadAsync();
            }

            if (_pool is not null)
            {
                await QueryAsync(_pool);
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

    private async Task QueryAsync(NpgsqlDataSource pool)
    {
        Queries++;
        try
        {
            await using var command = pool.CreateCommand("SELECT count(*) FROM report");
            var rows = (long)(await command.ExecuteScalarAsync(_stop.Token))!;
            if (rows != 10)
            {
                Failures.Enqueue($"{DateTime.UtcNow:HH:mm:ss.fff} generation {_generation}: {rows} rows instead of 10");
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
            Queries--;
        }
        catch (Exception e) when (e is NpgsqlException or InvalidOperationException or TimeoutException)
        {
            Failures.Enqueue($"{DateTime.UtcNow:HH:mm:ss.fff} generation {_generation}: {e.GetType().Name} {(e as PostgresException)?.SqlState} {e.Message}");
        }
    }

    /// <summary>A new pool when another lease is published; the old pool is closed, ending its sessions.</summary>
    private async Task ReloadAsync()
    {
        JsonNode? document;
        try
        {
            document = JsonNode.Parse(await File.ReadAllTextAsync(_file));
        }
        catch (FileNotFoundException)
        {
            return; // nothing published (yet, or any more): keep what we have
        }

        // Any other lease is a new credential: a restarted agent counts its generations from 1 again.
        var leaseId = document?["lease_id"]?.GetValue<string>();
        if (leaseId is null || leaseId == _leaseId)
        {
            return;
        }

        var old = _pool;
        _pool = NpgsqlDataSource.Create(document!["connection_string"]!.GetValue<string>());
        _leaseId = leaseId;
        _generation = document["generation"]?.GetValue<int>() ?? 0;
        Generations.Enqueue(_generation);
        if (old is not null)
        {
            await old.DisposeAsync();
        }
    }
}
