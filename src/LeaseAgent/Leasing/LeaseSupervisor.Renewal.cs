using LeaseAgent.Diagnostics;
using LeaseAgent.Postgres;
using LeaseAgent.Publishing;
using LeaseAgent.ScaiVault;
using ScaiVault.Client;

namespace LeaseAgent.Leasing;

public sealed partial class LeaseSupervisor
{
    /// <param name="rotate">False for a retiring lease: it is kept alive while it drains, never replaced.</param>
    private void ScheduleLeaseTimers(Lease lease, bool rotate = true)
    {
        var timeline = lease.Timeline!;
        var grant = lease.Grant!;
        var expiresIn = timeline.ExpiresIn(_time);
        var hardEndIn = grant.Renewable ? timeline.HardEndIn(_time) : Min(timeline.HardEndIn(_time), expiresIn);
        var rotateBefore = RenewalSchedule.RotateBefore(_lease.RotateBefore, lease.Lifetime ?? grant.Duration);
        var rotateIn = RenewalSchedule.RotateAfter(hardEndIn, rotateBefore);

        SetTimer(lease, LeaseTimer.Expiry, expiresIn);
        SetTimer(lease, LeaseTimer.Rotate, rotate ? rotateIn : TimeSpan.MaxValue);

        // Keep renewing while a renewal can still extend the lease, even once rotation is due: if the new
        // lease cannot be had, the current one should live as long as the server allows.
        // Counted from when the grant arrived, not from now: timers are also rescheduled later (on retiring).
        var sinceGrant = timeline.GrantedDuration - expiresIn;
        var renewIn = grant.Renewable && expiresIn < hardEndIn
            ? Max(TimeSpan.Zero, RenewalSchedule.RenewAfter(grant.Duration, _jitter) - sinceGrant)
            : TimeSpan.MaxValue;
        SetTimer(lease, LeaseTimer.Renew, renewIn);
    }

    private void OnTimer(Lease lease, LeaseTimer timer)
    {
        _timers.Remove((lease, timer));
        switch (timer)
        {
            case LeaseTimer.Renew when (lease == _current && lease.CanFire(LeaseTrigger.RenewDue)) || lease.State == LeaseState.Retiring:
                StartRenewal(lease);
                break;
            case LeaseTimer.Rotate when lease == _current:
                BeginRotation(lease, "is within its rotation lead of the hard end");
                break;
            case LeaseTimer.Expiry when _renewalsInFlight.Contains(lease):
                // Its answer decides: the server may have extended the lease just before our clock ran out. The
                // renewal's deadline was this expiry, so no retry follows and it ends within one attempt's timeout.
                _expiredWhileRenewing.Add(lease);
                break;
            case LeaseTimer.Expiry when lease.CanFire(LeaseTrigger.LeaseLost):
                OnExpired(lease);
                break;
            case LeaseTimer.DrainCheck when lease.State == LeaseState.Retiring:
                CheckDrain(lease);
                break;
            case LeaseTimer.Drain when lease.State == LeaseState.Retiring:
                DrainDeadlineReached(lease);
                break;
            case LeaseTimer.RevokeRetry when lease.State == LeaseState.Revoking:
                SendRevoke(lease);
                break;
        }
    }

    private void StartRenewal(Lease lease)
    {
        if (lease.State != LeaseState.Retiring)
        {
            lease.StartRenewing();
        }

        var increment = _lease.Ttl ?? lease.Timeline!.GrantedDuration;
        var deadline = lease.Timeline!.ExpiresAt;
        var leaseId = lease.LeaseId!;
        _renewalsInFlight.Add(lease);
        Start(
            ct => _vault.RenewAsync(leaseId, increment, deadline, ct),
            (grant, error) => new RenewCompleted(lease, grant, increment, error),
            _operations.Token);
    }

    private void OnRenewed(Lease lease, LeaseGrant? grant, TimeSpan requested, Exception? error)
    {
        _renewalsInFlight.Remove(lease);
        if (_expiredWhileRenewing.Remove(lease) && grant is null && !_stopping && lease.CanFire(LeaseTrigger.LeaseLost))
        {
            OnExpired(lease); // the renewal that might have saved it failed too
            return;
        }

        if (!_stopping && lease.State == LeaseState.Retiring)
        {
            if (grant is not null)
            {
                lease.Renew(grant);
                ScheduleLeaseTimers(lease, rotate: false);
            }

            Log.RetiringRenewed(_logger, lease.LeaseId, grant is not null ? "extended" : Describe(error).Code);
            return;
        }

        if (_stopping || lease.State != LeaseState.Renewing)
        {
            return; // lost, superseded and not extended, or shutting down while the renewal was in flight
        }

        if (grant is not null)
        {
            lease.Renew(grant);
            ScheduleLeaseTimers(lease);
            var timeline = lease.Timeline!;
            var rotateIn = RenewalSchedule.RotateAfter(timeline.HardEndIn(_time), RenewalSchedule.RotateBefore(_lease.RotateBefore, lease.Lifetime!.Value));
            Log.Renewed(_logger, lease.LeaseId!, grant.Duration.TotalSeconds, Seconds(_timers.ContainsKey((lease, LeaseTimer.Renew)) ? RenewalSchedule.RenewAfter(grant.Duration, _jitter) : TimeSpan.MaxValue), Seconds(rotateIn));
            _lastError = null;
            _degraded = false;
            var capped = RenewalSchedule.IsCapped(requested, grant.Duration, grant.TimeToHardEnd);
            _metrics.RenewalCompleted(capped ? "capped" : "ok");
            if (capped)
            {
                BeginRotation(lease, "was renewed only up to its max TTL");
            }

            // A user dropped out of band while its lease lives on: only a login tells. No propagation
            // window here: this user has logged in before.
            var credential = lease.Credential!;
            Start(
                ct => _probe.ProbeAsync(credential, ct, retryWindow: TimeSpan.Zero),
                (result, probeError) => new CurrentProbeCompleted(lease, result, probeError),
                _operations.Token);
            return;
        }

        if (error is ScaiVaultException { IsLeaseGone: true })
        {
            _metrics.RenewalCompleted("lost");
            Log.LeaseLost(_logger, lease.LeaseId, "ScaiVault no longer knows it");
            LoseCurrent(lease, "lease_not_found");
            return;
        }

        lease.FailRenewal();
        _metrics.RenewalCompleted("failed");
        _degraded = true; // still valid and published, but the agent cannot currently extend it
        var (code, requestId, message) = Describe(error);
        _lastError = code;
        var expiresIn = lease.Timeline!.ExpiresIn(_time);
        var retryIn = RenewalSchedule.RetryAfter(lease.FailedAttempts, expiresIn, Random.Shared.NextDouble());
        if (error is ScaiVaultException { RetryAfter: { } retryAfter } && retryAfter > retryIn && retryAfter < expiresIn)
        {
            retryIn = retryAfter;
        }

        Log.RenewFailed(_logger, lease.LeaseId, code, requestId, message, retryIn.TotalSeconds, expiresIn.TotalSeconds);
        SetTimer(lease, LeaseTimer.Renew, retryIn);
    }

    private void OnCurrentProbed(Lease lease, ProbeResult? result)
    {
        if (_stopping || lease != _current || !lease.IsInService || result is not { Failure: ProbeFailure.AuthenticationFailed })
        {
            return; // an unreachable Postgres is not the credential's fault: keep it
        }

        _metrics.ProbeFailed(result.Failure.ToString());
        Log.LeaseLost(_logger, lease.LeaseId, "its user can no longer log in");
        LoseCurrent(lease, "credential_rejected");
    }

    private void OnExpired(Lease lease)
    {
        if (lease == _current)
        {
            Log.Expired(_logger, lease.LeaseId);
            LoseCurrent(lease, "lease_expired");
        }
        else
        {
            lease.MarkLost();
            Revoke(lease);
        }
    }

    /// <summary>
    /// The published credential is dead: remove the file so the app fails fast, make sure the server forgets
    /// the lease (revoking is idempotent, and drops a user that outlived its lease), and get a new one: at once,
    /// unless leases keep dying soon after they are published, which would otherwise loop.
    /// </summary>
    private void LoseCurrent(Lease lease, string reason)
    {
        lease.MarkLost();
        _lastError = reason;
        if (lease == _current)
        {
            _current = null;
            _publisher.Unpublish();
        }

        Revoke(lease);
        var lived = lease.PublishedAt is { } publishedAt ? _time.GetElapsedTime(publishedAt) : TimeSpan.Zero;
        _shortLivedLosses = lived < ShortLivedLease ? _shortLivedLosses + 1 : 0;
        if (_shortLivedLosses <= 1)
        {
            Acquire();
            return;
        }

        var retryIn = ScaiVaultResilience.FullJitter(_shortLivedLosses - 2, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30), Random.Shared);
        Log.LostSoonAfterPublishing(_logger, lease.LeaseId, lived.TotalSeconds, _shortLivedLosses, retryIn.TotalSeconds);
        ScheduleAcquire(retryIn);
    }

    private void BeginRotation(Lease lease, string reason)
    {
        if (_next is not null || _stopping)
        {
            return;
        }

        Log.RotationStarted(_logger, lease.LeaseId, reason, _generation + 1);
        Acquire();
    }
}
