using System.Runtime.InteropServices;
using System.Threading.Channels;

namespace ReportingService;

/// <summary>
/// Everything that can tell the service a new credential is published (a change in the file's directory,
/// SIGHUP from lease-agent, the periodic re-check) goes through one queue to <see cref="CredentialStore.Reload"/>,
/// one reload at a time. Triggers that arrive during a reload are merged into one more reload after it, so
/// the last change is always read and a burst of events costs two reads at most.
/// </summary>
public sealed class CredentialReloader(CredentialStore store, ReportingOptions options, ILogger<CredentialReloader> logger) : BackgroundService
{
    private readonly Channel<string> _triggers = Channel.CreateBounded<string>(
        new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite, SingleReader = true });

    private FileSystemWatcher? _watcher;
    private PosixSignalRegistration? _sighup;

    /// <summary>Asks for a reload; returns at once.</summary>
    public void Trigger(string reason) => _triggers.Writer.TryWrite(reason);

    public override Task StartAsync(CancellationToken cancellationToken)
    {
        // Load before the server starts listening, so /healthz is right from the first request.
        store.Reload("startup");

        if (options.WatchDirectory)
        {
            StartWatching();
        }

        if (options.ReloadOnSighup)
        {
            try
            {
                // Cancel the default action: SIGHUP would otherwise terminate the process.
                _sighup = PosixSignalRegistration.Create(PosixSignal.SIGHUP, context =>
                {
                    context.Cancel = true;
                    Log.SighupReceived(logger);
                    Trigger("SIGHUP");
                });
                Log.SighupRegistered(logger);
            }
            catch (PlatformNotSupportedException)
            {
                Log.SighupUnsupported(logger);
            }
        }

        return base.StartAsync(cancellationToken);
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        _sighup?.Dispose();
        _watcher?.Dispose();
        await base.StopAsync(cancellationToken);
    }

    public override void Dispose()
    {
        _sighup?.Dispose();
        _watcher?.Dispose();
        base.Dispose();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var recheck = options.RecheckInterval > TimeSpan.Zero ? RecheckAsync(stoppingToken) : Task.CompletedTask;
        try
        {
            await foreach (var reason in _triggers.Reader.ReadAllAsync(stoppingToken))
            {
                store.Reload(reason);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }

        await recheck;
    }

    private async Task RecheckAsync(CancellationToken stoppingToken)
    {
        Log.Rechecking(logger, options.CredentialsFile, options.RecheckInterval.TotalSeconds);
        using var timer = new PeriodicTimer(options.RecheckInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                Trigger("periodic re-check");
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>
    /// Watches the file's DIRECTORY, filtered to its name: lease-agent replaces the file by rename(2), which
    /// a watch on the file itself would not survive.
    /// </summary>
    private void StartWatching()
    {
        var path = Path.GetFullPath(options.CredentialsFile);
        var directory = Path.GetDirectoryName(path)!;
        var fileName = Path.GetFileName(path);
        FileSystemWatcher? watcher = null;
        try
        {
            watcher = new FileSystemWatcher(directory, fileName)
            {
                NotifyFilter = NotifyFilters.FileName | NotifyFilters.LastWrite | NotifyFilters.Size | NotifyFilters.CreationTime,
            };
            watcher.Created += (_, _) => Trigger("directory change (created)");
            watcher.Renamed += (_, _) => Trigger("directory change (renamed)");
            watcher.Changed += (_, _) => Trigger("directory change (changed)");
            watcher.Deleted += (_, _) => Trigger("directory change (deleted)");
            watcher.Error += (_, e) =>
            {
                // An overflowed event queue may have lost the one change that mattered: read the file again.
                Log.WatchError(logger, e.GetException().GetType().Name);
                Trigger("directory watch error");
            };
            watcher.EnableRaisingEvents = true;
            (_watcher, watcher) = (watcher, null);
            Log.Watching(logger, directory, fileName);
        }
        catch (Exception e) when (e is ArgumentException or IOException or UnauthorizedAccessException or PlatformNotSupportedException)
        {
            Log.CannotWatch(logger, directory, e.GetType().Name);
        }
        finally
        {
            watcher?.Dispose();
        }
    }
}
