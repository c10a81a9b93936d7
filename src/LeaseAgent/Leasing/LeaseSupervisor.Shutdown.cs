using System.Diagnostics;
using LeaseAgent.Diagnostics;
using ScaiVault.Client;

namespace LeaseAgent.Leasing;

/// <summary>SIGTERM/SIGINT: revoke everything held within <c>SHUTDOWN_TIMEOUT</c>, remove the file, clear the journal.</summary>
public sealed partial class LeaseSupervisor
{
    /// <summary>
    /// <c>REVOKE_DELAY</c>: a classic sidecar is stopped together with the app, so it keeps the credential
    /// alive (renewing as usual) while the app drains, before revoking.
    /// </summary>
    private async Task DelayRevocationAsync()
    {
        if (_options.Shutdown.RevokeDelay <= TimeSpan.Zero || !_options.Shutdown.RevokeOnShutdown)
        {
            return;
        }

        Log.RevokeDelayed(_logger, _options.Shutdown.RevokeDelay.TotalSeconds);
        using var delay = new CancellationTokenSource(_options.Shutdown.RevokeDelay, _time);
        try
        {
            await foreach (var agentEvent in _events.Reader.ReadAllAsync(delay.Token))
            {
                Handle(agentEvent);
                AfterEvent();
            }
        }
        catch (OperationCanceledException) when (delay.IsCancellationRequested)
        {
            // The delay is over: revoke now.
        }
    }

    private async Task ShutdownAsync(Stopwatch sinceSignal)
    {
        _book = _book with { Stopping = true };
        var budget = _options.Shutdown.Timeout - sinceSignal.Elapsed;
        _shutdownBudget.CancelAfter(budget > TimeSpan.Zero ? budget : TimeSpan.Zero);
        _heartbeat?.Dispose();
        _timers.CancelAll();

        await _operations.CancelAsync();

        // Let operations in flight report back, above all a generate whose lease must be revoked too.
        while (_inFlight > 0)
        {
            try
            {
                Handle(await _events.Reader.ReadAsync(_shutdownBudget.Token));
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }

        var (revoked, failed) = _options.Shutdown.RevokeOnShutdown ? await RevokeAllAsync() : KeepAll();
        if (_options.Shutdown.RevokeOnShutdown && failed == 0)
        {
            _journal.Delete();
        }
        else
        {
            // Whatever was not revoked stays journalled: the next agent on this volume adopts or revokes it.
            WriteJournal();
        }

        var removed = _publisher.Unpublish();
        _book = _book with { Current = null, Adopting = null, LastError = failed > 0 ? "revoke_failed" : null };
        WriteStatus();

        ExitCode = failed > 0 ? 1 : 0;
        Log.ShutdownComplete(_logger, sinceSignal.Elapsed.TotalMilliseconds, revoked, failed, removed);
    }

    private async Task<(int Revoked, int Failed)> RevokeAllAsync()
    {
        // Generates that never answered: find their leases by reference (the server may have minted them), as well
        // as those of earlier doubtful generates whose look-ups are not finished.
        foreach (var lease in _book.Leases.Where(l => l is { State: LeaseState.Generating, LeaseId: null }))
        {
            TrackIntent(new JournalIntent(lease.ClientRef, lease.Generation), reason: null);
        }

        // A generate whose first attempt timed out may have minted a twin lease under the same reference before the
        // retry got its answer: look up the references of the held leases too and revoke what else carries them.
        // A failed look-up is not a failed shutdown: such a twin still ends at its TTL.
        var twins = _book.Leases
            .Where(l => l is { LeaseId: not null, NeedsRevocation: true } && !string.IsNullOrEmpty(l.ClientRef))
            .Select(l => new JournalIntent(l.ClientRef, l.Generation));

        var deadline = Deadline.From(_time, _options.Shutdown.Timeout);
        foreach (var intent in _book.UnresolvedIntents.Select(i => i.Intent).Concat(twins).Distinct().ToList())
        {
            try
            {
                OnIntentResolved(intent, await _vault.FindByClientRefAsync(intent.ClientRef, deadline, _shutdownBudget.Token), null);
            }
            catch (Exception e)
            {
                OnIntentResolved(intent, null, e);
            }
        }

        var held = _book.Leases.Where(l => l.NeedsRevocation || l.State == LeaseState.Revoking).ToList();
        Log.ShuttingDown(_logger, held.Count, _options.Shutdown.Timeout.TotalSeconds);
        foreach (var lease in held.Where(l => l.NeedsRevocation))
        {
            _timers.Cancel(lease);
            lease.StartRevoking();
        }

        var outcomes = await Task.WhenAll(held.Select(async lease =>
        {
            try
            {
                await _vault.RevokeAsync(lease.LeaseId!, deadline, _shutdownBudget.Token);
                return (lease, (Exception?)null);
            }
            catch (Exception e)
            {
                return (lease, e);
            }
        }));

        foreach (var (lease, error) in outcomes)
        {
            OnRevoked(lease, error);
        }

        var revoked = outcomes.Count(o => o.lease.State == LeaseState.Revoked);
        return (revoked, outcomes.Length - revoked + _book.UnresolvedIntents.Count);
    }

    /// <summary><c>REVOKE_ON_SHUTDOWN=false</c>: leases live on until their TTL; the journal lets a restart adopt them.</summary>
    private (int Revoked, int Failed) KeepAll()
    {
        Log.NotRevoking(_logger, _book.Leases.Count(l => l.NeedsRevocation));
        return (0, 0);
    }
}
