using System.Diagnostics;
using LeaseAgent.Diagnostics;

namespace LeaseAgent.Leasing;

/// <summary>
/// SIGTERM/SIGINT, as a mode of the one loop (<see cref="ShutdownPhase"/>). After <c>REVOKE_DELAY</c>, nothing new
/// starts and the operations in flight report back (a generate may still name a lease to revoke); then everything
/// held is revoked through <see cref="Revoke"/>, the path retirement uses, with one attempt each; then the file is
/// removed and the journal cleared, or kept with whatever was not revoked. <c>SHUTDOWN_TIMEOUT</c>, counted from the
/// signal, bounds it all: when it is spent the shutdown ends with what it has.
/// </summary>
public sealed partial class LeaseSupervisor
{
    private readonly Stopwatch _sinceStop = new();

    /// <param name="delayRevocation">False after a crash: the state the loop left cannot be trusted to keep renewing.</param>
    private void BeginShutdown(bool delayRevocation)
    {
        if (_book.Stopping)
        {
            return;
        }

        if (_book.Shutdown == ShutdownPhase.Running)
        {
            // On the machine's clock, not the supervisor's: the budget is the pod's grace period, which the kubelet counts.
            _sinceStop.Start();
            _shutdownBudget.CancelAfter(_options.Shutdown.Timeout);

            // REVOKE_DELAY: a classic sidecar is stopped together with the app, so it keeps the credential alive
            // (renewing as usual) while the app drains, before revoking.
            var delay = _options.Shutdown.RevokeDelay;
            if (delayRevocation && delay > TimeSpan.Zero && _options.Shutdown.RevokeOnShutdown)
            {
                Log.RevokeDelayed(_logger, delay.TotalSeconds);
                _book = _book with { Shutdown = ShutdownPhase.DelayingRevocation };
                _timers.Set(RevokeDelayOver.Key, delay);
                return;
            }
        }

        _book = _book with { Shutdown = ShutdownPhase.Draining };
        StopStartingWork();
        ContinueShutdown();
    }

    /// <summary>Probes, renewals and drain checks stop at once; a generate, a revocation or a look-up may finish within the budget.</summary>
    private void StopStartingWork()
    {
        _heartbeat?.Dispose();
        _timers.CancelAll();
        _operations.Cancel();
    }

    /// <summary>Moves the shutdown on once nothing is in flight: from draining to revoking, from revoking to done.</summary>
    private void ContinueShutdown()
    {
        if (_book.Shutdown == ShutdownPhase.Draining && _inFlight == 0)
        {
            RevokeAll();
        }

        if (_book.Shutdown == ShutdownPhase.Revoking && _inFlight == 0)
        {
            FinishShutdown();
        }
    }

    private void RevokeAll()
    {
        _book = _book with { Shutdown = ShutdownPhase.Revoking };
        if (!_options.Shutdown.RevokeOnShutdown)
        {
            // Leases live on until their TTL; the journal lets a restart adopt them.
            Log.NotRevoking(_logger, _book.Leases.Count(l => l.NeedsRevocation));
            return;
        }

        // A generate whose first attempt timed out may have minted a twin lease under the same reference before the
        // retry got its answer: look up the references of the held leases too and revoke what else carries them.
        // A failed look-up of a twin is not a failed shutdown (such a twin still ends at its TTL); one of a journalled
        // intent is, since the intent stays unresolved.
        var twins = _book.Leases
            .Where(l => l is { LeaseId: not null, NeedsRevocation: true } && !string.IsNullOrEmpty(l.ClientRef))
            .Select(l => new JournalIntent(l.ClientRef, l.Generation));
        foreach (var intent in _book.UnresolvedIntents.Select(i => i.Intent).Concat(twins).Distinct().ToList())
        {
            FindAndRevokeIntent(intent);
        }

        var held = _book.Leases.Where(l => l.NeedsRevocation || l.State == LeaseState.Revoking).ToList();
        Log.ShuttingDown(_logger, held.Count, _options.Shutdown.Timeout.TotalSeconds);
        foreach (var lease in held)
        {
            if (lease.NeedsRevocation)
            {
                Revoke(lease);
            }
            else
            {
                SendRevoke(lease); // its last attempt failed, or was cut short by the drain
            }
        }
    }

    private void OnShutdownBudgetSpent()
    {
        Log.ShutdownBudgetSpent(_logger, _options.Shutdown.Timeout.TotalSeconds, _inFlight);
        StopStartingWork();
        FinishShutdown();
    }

    private void FinishShutdown()
    {
        // Whatever is still journalled was not revoked: it stays for the next agent on this volume to adopt or revoke.
        var left = _book.ToJournal();
        var revoking = _options.Shutdown.RevokeOnShutdown;
        var failed = revoking ? left.Leases.Count + left.Intents.Count : 0;
        if (revoking && failed == 0)
        {
            _journal.Delete();
        }
        else
        {
            WriteJournal();
        }

        var removed = _publisher.Unpublish();
        _book = _book with { Shutdown = ShutdownPhase.Done, Current = null, Adopting = null, LastError = failed > 0 ? "revoke_failed" : null };
        WriteStatus();

        ExitCode = failed > 0 ? 1 : 0;
        Log.ShutdownComplete(_logger, _sinceStop.Elapsed.TotalMilliseconds, _book.RevokedOnShutdown, failed, removed);
    }
}
