using LeaseAgent.Diagnostics;
using LeaseAgent.Postgres;
using LeaseAgent.Publishing;
using LeaseAgent.ScaiVault;
using ScaiVault.Client;

namespace LeaseAgent.Leasing;

public sealed partial class LeaseSupervisor
{
    /// <summary>
    /// Moves a superseded lease to Retiring. It is revoked once <c>pg_stat_activity</c> shows no session of its
    /// user, or when <c>LEASE_DRAIN_TIMEOUT</c> passes, whichever comes first.
    /// </summary>
    private void Retire(Lease previous)
    {
        _timers.Cancel(previous);
        if (!previous.CanFire(LeaseTrigger.Superseded))
        {
            Revoke(previous);
            return;
        }

        // At most two live leases per pod: a lease still draining from the rotation before goes now.
        foreach (var draining in _book.Retiring.ToList())
        {
            Log.DrainCutShort(_logger, draining.LeaseId, _book.Current!.Generation);
            Revoke(draining);
        }

        previous.Supersede();
        Log.Retiring(_logger, previous.LeaseId, _lease.DrainTimeout.TotalSeconds);
        ScheduleLeaseTimers(previous, rotate: false);
        SetTimer(previous, LeaseTimer.Drain, _lease.DrainTimeout);

        // The app needs a moment to see the new file and swap its pool; an empty pg_stat_activity before
        // then only means the pool was idle, not that the old password is forgotten.
        SetTimer(previous, LeaseTimer.DrainCheck, Min(MinimumDrain, _lease.DrainTimeout));
    }

    private void CheckDrain(Lease retiring)
    {
        if (_book.Current?.Credential is not { } observer || retiring.Credential is not { } old)
        {
            return;
        }

        Start(
            ct => _sessions.CountAsync(observer, old.Username, ct),
            (count, error) => new DrainChecked(retiring, error is null ? count : null, error),
            _operations.Token);
    }

    private void Revoke(Lease lease)
    {
        _timers.Cancel(lease);
        lease.CountDrainSessions(null);
        if (!lease.NeedsRevocation)
        {
            Forget(lease);
            return;
        }

        lease.StartRevoking();
        SendRevoke(lease);
    }

    private void SendRevoke(Lease lease)
    {
        var leaseId = lease.LeaseId!;
        var deadline = Deadline.From(_time, RevokeRequestBudget);
        Start(
            async ct =>
            {
                await _vault.RevokeAsync(leaseId, deadline, ct);
                return true;
            },
            (_, error) => new RevokeCompleted(lease, error),
            ServerRequestToken);
    }

    private void OnRevoked(Lease lease, Exception? error)
    {
        if (lease.State != LeaseState.Revoking)
        {
            return;
        }

        if (error is null or ScaiVaultException { IsLeaseGone: true })
        {
            lease.ConfirmRevoked();
            _metrics.RevocationCompleted("ok");
            Log.Revoked(_logger, lease.LeaseId, lease.Generation);
            if (_book.Shutdown == ShutdownPhase.Revoking)
            {
                _book = _book with { RevokedOnShutdown = _book.RevokedOnShutdown + 1 };
            }

            Forget(lease);
            return;
        }

        lease.FailRevocation();
        _metrics.RevocationCompleted("failed");
        var (code, requestId, message) = LeasePolicy.Describe(error);
        Log.RevokeFailed(_logger, lease.LeaseId, code, requestId, message);
        if (!_book.Stopping && lease.FailedAttempts < LeasePolicy.MaxAttempts)
        {
            SetTimer(lease, LeaseTimer.RevokeRetry, ScaiVaultResilience.BackoffAfterFailure(lease.FailedAttempts, error, Random.Shared));
        }
    }
}
