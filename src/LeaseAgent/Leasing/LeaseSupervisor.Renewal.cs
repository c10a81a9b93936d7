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

    private void OnTimer(TimerKey key)
    {
        switch (key)
        {
            case AcquireBackoff:
                Acquire();
                break;
            case RevokeDelayOver:
                BeginShutdown(delayRevocation: false);
                break;
            case LeaseTimerKey { Timer: LeaseTimer.Renew, Lease: var lease } when (lease == _book.Current && lease.CanFire(LeaseTrigger.RenewDue)) || lease.State == LeaseState.Retiring:
                StartRenewal(lease);
                break;
            case LeaseTimerKey { Timer: LeaseTimer.Rotate, Lease: var lease } when lease == _book.Current:
                BeginRotation(lease, "is within its rotation lead of the hard end");
                break;
            case LeaseTimerKey { Timer: LeaseTimer.Expiry, Lease: { Renewal: not Renewal.None } lease }:
                // Its answer decides: the server may have extended the lease just before our clock ran out. The
                // renewal's deadline was this expiry, so no retry follows and it ends within one attempt's timeout.
                lease.ExpireDuringRenewal();
                break;
            case LeaseTimerKey { Timer: LeaseTimer.Expiry, Lease: var lease } when lease.CanFire(LeaseTrigger.LeaseLost):
                OnExpired(lease);
                break;
            case LeaseTimerKey { Timer: LeaseTimer.RevokeRetry, Lease: { State: LeaseState.Revoking } lease }:
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
        lease.SendRenewal();
        Start(
            ct => _vault.RenewAsync(leaseId, increment, deadline, ct),
            (grant, error) => new RenewCompleted(lease, grant, increment, error),
            _operations.Token);
    }

    private void OnRenewed(Lease lease, LeaseGrant? grant, TimeSpan requested, Exception? error)
    {
        if (lease.CompleteRenewal() && grant is null && !_book.Stopping && lease.CanFire(LeaseTrigger.LeaseLost))
        {
            OnExpired(lease); // the renewal that might have saved it failed too
            return;
        }

        if (!_book.Stopping && lease.State == LeaseState.Retiring)
        {
            if (grant is not null)
            {
                lease.Renew(grant);
                ScheduleLeaseTimers(lease, rotate: false);
            }

            Log.RetiringRenewed(_logger, lease.LeaseId, grant is not null ? "extended" : LeasePolicy.Describe(error).Code);
            return;
        }

        if (_book.Stopping || lease.State != LeaseState.Renewing)
        {
            return; // lost, superseded and not extended, or shutting down while the renewal was in flight
        }

        if (grant is not null)
        {
            lease.Renew(grant);
            ScheduleLeaseTimers(lease);
            var timeline = lease.Timeline!;
            var rotateIn = RenewalSchedule.RotateAfter(timeline.HardEndIn(_time), RenewalSchedule.RotateBefore(_lease.RotateBefore, lease.Lifetime!.Value));
            var renewIn = _timers.IsSet(new LeaseTimerKey(lease, LeaseTimer.Renew)) ? RenewalSchedule.RenewAfter(grant.Duration, _jitter) : TimeSpan.MaxValue;
            Log.Renewed(
                _logger,
                lease.LeaseId!,
                grant.Duration.TotalSeconds,
                Phrase(renewIn, "the next renewal is in {0:0.0} s", "no renewal can extend it further"),
                Phrase(rotateIn, "its replacement is acquired in {0:0.0} s", "no replacement is scheduled"));
            _book = _book with { LastError = null, Degraded = false };
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
        var (code, requestId, message) = LeasePolicy.Describe(error);

        // Still valid and published, but the agent cannot currently extend it.
        _book = _book with { Degraded = true, LastError = code };
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
        if (_book.Stopping || lease != _book.Current || !lease.IsInService || result is not { Failure: ProbeFailure.AuthenticationFailed })
        {
            return; // an unreachable Postgres is not the credential's fault: keep it
        }

        _metrics.ProbeFailed(result.Failure.ToString());
        Log.LeaseLost(_logger, lease.LeaseId, "its user can no longer log in");
        LoseCurrent(lease, "credential_rejected");
    }

    private void OnExpired(Lease lease)
    {
        if (lease == _book.Current)
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
        _book = _book with { LastError = reason };
        if (lease == _book.Current)
        {
            _book = _book with { Current = null };
            _publisher.Unpublish();
        }

        Revoke(lease);
        var lived = lease.PublishedAt is { } publishedAt ? _time.GetElapsedTime(publishedAt) : TimeSpan.Zero;
        var losses = lived < ShortLivedLease ? _book.ShortLivedLosses + 1 : 0;
        _book = _book with { ShortLivedLosses = losses };
        if (losses <= 1)
        {
            Acquire();
            return;
        }

        var retryIn = ScaiVaultResilience.FullJitter(losses - 2, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30), Random.Shared);
        Log.LostSoonAfterPublishing(_logger, lease.LeaseId, lived.TotalSeconds, losses, retryIn.TotalSeconds);
        ScheduleAcquire(retryIn);
    }

    private void BeginRotation(Lease lease, string reason)
    {
        if (_book.Next is not null || _book.Stopping)
        {
            return;
        }

        Log.RotationStarted(_logger, lease.LeaseId, reason, _book.Generation + 1);
        Acquire();
    }
}
