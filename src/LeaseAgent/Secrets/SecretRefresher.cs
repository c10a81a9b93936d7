using System.Net;
using LeaseAgent.Configuration;
using LeaseAgent.Diagnostics;
using LeaseAgent.Publishing;
using LeaseAgent.Reload;
using LeaseAgent.ScaiVault;
using LeaseAgent.Status;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using ScaiVault.Client;

namespace LeaseAgent.Secrets;

/// <summary>
/// <c>lease-agent run</c> with <c>SECRETS</c>: writes every mapping, then re-reads them every <c>REFRESH_INTERVAL</c>
/// (±10 % jitter, so a fleet does not read in step) and rewrites only the files whose content changed, sending the
/// reload signal once per cycle however many changed. With <c>SUBSCRIBE=true</c> it long-polls a subscription on the
/// mapped paths and refreshes as soon as one changes, falling back to polling whenever the subscription fails.
/// A subscription given up after a failed poll is deleted before the next one is created, and the last one when
/// the agent stops, so that the server does not keep queueing events for nobody. Handled events are acknowledged
/// in batches (<see cref="PendingAcknowledgements"/>), so that a burst of updates stays within ScaiVault's limit of
/// subscription operations.
/// It reports its part of the status (<see cref="SecretsStatus"/>) after every refresh and at least every
/// <see cref="StatusReporter.HeartbeatInterval"/>: with only <c>SECRETS</c>, that is the agent's heartbeat.
/// </summary>
public sealed class SecretRefresher(
    AgentOptions options,
    IScaiVaultClient vault,
    IScaiVaultSubscriptions subscriptions,
    AppReloader reloader,
    StatusReporter status,
    TimeProvider time,
    ILogger<SecretRefresher> logger) : BackgroundService
{
    public static readonly IReadOnlyList<string> Events = ["secret.rotated", "secret.updated"];

    private static readonly TimeSpan RequestBudget = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan UnsubscribeBudget = TimeSpan.FromSeconds(5);

    private readonly IReadOnlyList<SecretMapping> _mappings = options.Secrets.Mappings;
    private readonly Dictionary<string, byte[]> _written = new(StringComparer.Ordinal);
    private readonly PendingAcknowledgements _acks = new(subscriptions, time, logger);
    private string? _subscription;

    // Given up after a failed poll, not yet deleted at the server: tried again before each new subscription and at stop.
    private readonly List<string> _abandoned = [];
    private string? _lastError;
    private int _failures;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await Task.Yield();
        var paths = _mappings.Select(m => m.Path).Distinct(StringComparer.Ordinal).ToList();
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                var interval = Jittered(options.Secrets.RefreshInterval);
                if (!await RefreshAsync(paths, stoppingToken))
                {
                    // Failed: try again soon (backoff), never later than the interval.
                    var backoff = ScaiVaultResilience.BackoffAfterFailure(_failures - 1, error: null, Random.Shared);
                    interval = backoff < interval ? backoff : interval;
                }

                await WaitForNextRefreshAsync(paths, Deadline.From(time, interval), stoppingToken);
            }
        }
        finally
        {
            await UnsubscribeAtStopAsync();
        }
    }

    /// <summary>Deletes this agent's subscriptions within a short budget of its own (the stopping token is already cancelled).</summary>
    private async Task UnsubscribeAtStopAsync()
    {
        if (_subscription is { } current)
        {
            _abandoned.Add(current);
            _subscription = null;
        }

        if (_abandoned.Count == 0)
        {
            return;
        }

        var budget = options.Shutdown.Timeout < UnsubscribeBudget ? options.Shutdown.Timeout : UnsubscribeBudget;
        using var cancel = new CancellationTokenSource(budget, time);
        await DeleteAbandonedAsync(Deadline.From(time, budget), retryLater: false, cancel.Token);
    }

    /// <summary>Best effort: a subscription that cannot be deleted now is kept for a later try only if the failure may pass.</summary>
    private async Task DeleteAbandonedAsync(Deadline deadline, bool retryLater, CancellationToken cancellationToken)
    {
        foreach (var id in _abandoned.ToList())
        {
            try
            {
                await subscriptions.UnsubscribeAsync(id, deadline, cancellationToken);
                _abandoned.Remove(id);
                Log.Unsubscribed(logger, id);
            }
            catch (ScaiVaultException e) when (e.Status == HttpStatusCode.NotFound)
            {
                _abandoned.Remove(id); // gone already
                Log.Unsubscribed(logger, id);
            }
            catch (OperationCanceledException) when (retryLater && cancellationToken.IsCancellationRequested)
            {
                return; // the agent is stopping: UnsubscribeAtStopAsync tries again
            }
            catch (Exception e) when (e is ScaiVaultException or OperationCanceledException)
            {
                var keep = retryLater && e is not ScaiVaultException { IsTransient: false };
                if (!keep)
                {
                    _abandoned.Remove(id);
                }

                Log.UnsubscribeFailed(logger, id, (e as ScaiVaultException)?.Code ?? e.GetType().Name, e.Message, keep);
                if (cancellationToken.IsCancellationRequested)
                {
                    return; // the stop budget is spent
                }
            }
        }
    }

    /// <summary>One cycle: read every path, stage what changed, then rename it all into place. True when it worked.</summary>
    private async Task<bool> RefreshAsync(List<string> paths, CancellationToken cancellationToken)
    {
        var deadline = Deadline.From(time, RequestBudget);
        List<StagedFile> staged = [];
        try
        {
            var rendered = new List<(SecretMapping Mapping, byte[] Content)>();
            foreach (var path in paths)
            {
                var secret = await vault.GetSecretAsync(path, deadline, cancellationToken);
                rendered.AddRange(_mappings.Where(m => m.Path == path).Select(m => (m, secret.Render(m))));
            }

            var changed = rendered.Where(r => !_written.TryGetValue(r.Mapping.File, out var old) || !old.AsSpan().SequenceEqual(r.Content)).ToList();
            foreach (var (mapping, content) in changed)
            {
                Directory.CreateDirectory(Path.GetDirectoryName(mapping.File)!);
                staged.Add(AtomicFileWriter.Stage(mapping.File, content, options.Output.Mode));
            }

            staged.ForEach(f => f.Commit());
            var first = _written.Count == 0;
            changed.ForEach(r => _written[r.Mapping.File] = r.Content);
            _failures = 0;
            _lastError = null;
            if (first)
            {
                Log.SecretsWritten(logger, changed.Count);
            }
            else if (changed.Count > 0)
            {
                Log.SecretsChanged(logger, changed.Count, string.Join(", ", changed.Select(c => c.Mapping.File)));
                reloader.Signal($"{changed.Count} secret file(s) changed"); // once per cycle, however many changed
            }

            ReportStatus();
            return true;
        }
        catch (Exception e) when (e is ScaiVaultException or IOException or UnauthorizedAccessException or SecretFieldMissingException)
        {
            staged.ForEach(f => f.Discard());
            _failures++;
            _lastError = e is ScaiVaultException vaultError ? vaultError.Code : e.GetType().Name;
            Log.SecretRefreshFailed(logger, _lastError, e.Message, _written.Count > 0);
            ReportStatus();
            return false;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            staged.ForEach(f => f.Discard());
            return false;
        }
    }

    /// <summary>Until the next refresh is due: long-polls the subscription (a matching event ends the wait) or sleeps, heartbeating the status.</summary>
    private async Task WaitForNextRefreshAsync(List<string> paths, Deadline nextRefresh, CancellationToken cancellationToken)
    {
        if (options.Secrets.Subscribe && _subscription is null && _written.Count > 0)
        {
            await SubscribeAsync(paths, cancellationToken);
        }

        while (!cancellationToken.IsCancellationRequested)
        {
            var left = nextRefresh.Remaining(time);
            if (left <= TimeSpan.Zero)
            {
                return;
            }

            var wait = left < StatusReporter.HeartbeatInterval ? left : StatusReporter.HeartbeatInterval;

            // The long poll must end well inside one HTTP attempt's timeout, and lasts whole seconds.
            var longest = options.ScaiVault.RequestTimeout - TimeSpan.FromSeconds(2);
            var pollFor = TimeSpan.FromSeconds(Math.Floor((wait < longest ? wait : longest).TotalSeconds));
            try
            {
                if (_subscription is { } current)
                {
                    await _acks.FlushIfDueAsync(current, cancellationToken);
                }

                // Back in time to acknowledge what was handled meanwhile, before the server hands it out again.
                if (_acks.DueIn is { } ackDue && ackDue < pollFor)
                {
                    pollFor = TimeSpan.FromSeconds(Math.Max(1, Math.Ceiling(ackDue.TotalSeconds)));
                }

                if (_subscription is { } id && pollFor >= TimeSpan.FromSeconds(1))
                {
                    if (await PollAsync(id, paths, pollFor, cancellationToken))
                    {
                        return;
                    }
                }
                else
                {
                    await Task.Delay(wait, time, cancellationToken);
                }
            }
            catch (OperationCanceledException)
            {
                return;
            }

            ReportStatus();
        }
    }

    private async Task SubscribeAsync(List<string> paths, CancellationToken cancellationToken)
    {
        var deadline = Deadline.From(time, RequestBudget);
        await DeleteAbandonedAsync(deadline, retryLater: true, cancellationToken);
        try
        {
            _subscription = await subscriptions.SubscribeAsync($"lease-agent-{Environment.MachineName}", paths, Events, deadline, cancellationToken);
            Log.Subscribed(logger, _subscription, paths.Count);
        }
        catch (ScaiVaultException e)
        {
            Log.SubscriptionFailed(logger, e.Code, e.Message);
        }
    }

    /// <summary>One long poll; true when an event about a mapped path arrived and the secrets were refreshed.</summary>
    private async Task<bool> PollAsync(string id, List<string> paths, TimeSpan pollFor, CancellationToken cancellationToken)
    {
        IReadOnlyList<SecretEvent> events;
        try
        {
            events = await subscriptions.PollAsync(id, pollFor, Deadline.From(time, RequestBudget), cancellationToken);
        }
        catch (ScaiVaultException e)
        {
            // Gone or failing: poll on the interval and subscribe again at the next refresh, deleting this one first.
            Log.SubscriptionFailed(logger, e.Code, e.Message);
            _abandoned.Add(id);
            _subscription = null;
            _acks.Clear(); // events of the abandoned subscription: the next one starts afresh
            return false;
        }

        if (events.Count == 0)
        {
            return false;
        }

        var relevant = events.Any(e => paths.Contains(e.Path, StringComparer.Ordinal));
        Log.EventsReceived(logger, events.Count, string.Join(", ", events.Select(e => $"{e.EventType} {e.Path}").Distinct()));
        var refreshed = !relevant || await RefreshAsync(paths, cancellationToken);
        if (refreshed)
        {
            // Acknowledged only once handled: if the refresh failed, the event comes again.
            _acks.Add(events.Select(e => e.EventId));
            await _acks.FlushIfDueAsync(id, cancellationToken);
        }

        return relevant && refreshed;
    }

    private void ReportStatus() => status.Report(new SecretsStatus(_written.Count > 0, _failures, _lastError));

    private static TimeSpan Jittered(TimeSpan interval) => interval * (1 + (0.1 * ((2 * Random.Shared.NextDouble()) - 1)));

}
