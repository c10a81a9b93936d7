using LeaseAgent.Configuration;
using LeaseAgent.Postgres;
using LeaseAgent.ScaiVault;
using ScaiVault.Client;

namespace LeaseAgent.Leasing;

/// <summary>What the policy needs of the configuration: one credential's lease settings and the agent's shutdown settings.</summary>
/// <param name="Jitter">A per-pod value in [-1, 1], drawn once, so that pods started together spread their renewals.</param>
public sealed record LeasePolicySettings(LeaseOptions Lease, ShutdownOptions Shutdown, double Jitter);

/// <summary>
/// The lease policy, as one pure function: given the <see cref="LeaseBook"/>, an event and the <see cref="Moment"/> it
/// is decided at, the next book and the effects to carry out (<see cref="LeaseEffect"/>). No clock, no randomness, no
/// I/O: the supervisor executes the effects and posts their outcomes back as events. See ADR 0013.
/// </summary>
/// <remarks>
/// Read it in the order of a lease's life: start and recovery, acquisition (generate, probe, publish), renewal and
/// rotation, loss, retirement and drain, revocation, doubtful generates, and the shutdown, which is a mode of the same
/// loop. Each lease's own transitions are <see cref="Lease"/>'s lifecycle; this file decides which to take and when.
/// Internally one decision is built in a scratch object (the book so far and the effects so far); nothing outlives it.
/// </remarks>
public sealed class LeasePolicy
{
    /// <summary>Failed look-ups of one reference (or revocations of one lease) before the agent leaves it to the TTL.</summary>
    public const int MaxAttempts = 8;

    /// <summary>A doubtful generate's reference is looked up again this long after the first look-up: a server may store a lease it was slow to mint only after the agent gave up.</summary>
    public static readonly TimeSpan IntentSettleTime = TimeSpan.FromMinutes(1);

    /// <summary>How often a retiring lease's sessions are counted once the first count found some (or failed).</summary>
    public static readonly TimeSpan DrainPollInterval = TimeSpan.FromSeconds(1);

    /// <summary>The first drain check waits this long (at most the drain timeout) for the app to swap credentials.</summary>
    public static readonly TimeSpan MinimumDrain = TimeSpan.FromSeconds(2);

    /// <summary>
    /// Published leases lost sooner than this after publication, twice or more in a row (a TTL shorter than a generate
    /// and a probe, a server that forgets its leases), are replaced after a growing backoff rather than at once, so that
    /// no CREATE/DROP ROLE loop can start. The first such loss is replaced at once, as any other.
    /// </summary>
    public static readonly TimeSpan ShortLivedLease = TimeSpan.FromMinutes(1);

    /// <summary>Nothing is published with less than this left, or less than a tenth of its duration.</summary>
    public static readonly TimeSpan MinimumTimeLeftToPublish = TimeSpan.FromSeconds(1);

    private readonly LeasePolicySettings _settings;
    private readonly Moment _now;
    private readonly List<LeaseEffect> _effects = [];
    private LeaseBook _book;

    private LeasePolicy(LeaseBook book, LeasePolicySettings settings, Moment now)
    {
        _book = book;
        _settings = settings;
        _now = now;
    }

    public static (LeaseBook Book, IReadOnlyList<LeaseEffect> Effects) Decide(LeaseBook book, AgentEvent agentEvent, LeasePolicySettings settings, Moment now)
    {
        var decision = new LeasePolicy(book, settings, now);
        decision.Handle(agentEvent);
        return (decision._book, decision._effects);
    }

    private LeaseOptions Options => _settings.Lease;

    private void Handle(AgentEvent agentEvent)
    {
        if (agentEvent is OperationCompleted)
        {
            _book = _book with { InFlight = _book.InFlight - 1 };
        }

        switch (agentEvent)
        {
            case Started e:
                OnStarted(e.Journal);
                break;
            case GenerateCompleted e when _book.Find(e.Lease) is { } lease:
                OnGenerated(lease, e.Grant, e.Error);
                break;
            case AdoptCompleted e when _book.Find(e.Lease) is { } lease:
                OnAdopted(lease, e.Grant, e.Error);
                break;
            case ProbeCompleted e when _book.Find(e.Lease) is { } lease:
                OnProbed(lease, e.Result, e.Error);
                break;
            case PublishCompleted e when _book.Find(e.Lease) is { } lease:
                OnPublished(lease, e.Error);
                break;
            case RenewCompleted e when _book.Find(e.Lease) is { } lease:
                OnRenewed(lease, e.Grant, e.Requested, e.Error);
                break;
            case CurrentProbeCompleted e when _book.Find(e.Lease) is { } lease:
                OnCurrentProbed(lease, e.Result);
                break;
            case DrainChecked e when _book.Find(e.Lease) is { } lease:
                OnSessionsCounted(lease, e.Sessions, e.Error);
                break;
            case RevokeCompleted e when _book.Find(e.Lease) is { } lease:
                OnRevoked(lease, e.Error);
                break;
            case IntentResolved { LeaseIds: null } e:
                OnIntentLookupFailed(e.Intent, e.Error);
                break;
            case IntentResolved { LeaseIds: { } ids } e:
                OnIntentFound(e.Intent, ids);
                break;
            case TimerFired e:
                OnTimer(e.Key);
                break;
            case StopRequested:
                BeginShutdown(delayRevocation: true);
                break;
            case Crashed:
                _book = _book with { LastError = "supervisor_crashed" };
                BeginShutdown(delayRevocation: false);
                break;
            case ShutdownBudgetSpent when _book.Shutdown is not ShutdownPhase.Done:
                OnShutdownBudgetSpent();
                break;
        }

        if (_book.Stopping)
        {
            ContinueShutdown();
        }
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
            case IntentLookupTimer { Intent: var intent }:
                OnIntentLookupDue(intent);
                break;
            case LeaseTimerKey { Lease: var serial, Timer: var timer } when _book.Find(serial) is { } lease:
                OnLeaseTimer(lease, timer);
                break;
        }
    }

    private void OnLeaseTimer(Lease lease, LeaseTimer timer)
    {
        switch (timer)
        {
            case LeaseTimer.Renew when (lease.Serial == _book.CurrentSerial && lease.CanFire(LeaseTrigger.RenewDue)) || lease.State == LeaseState.Retiring:
                StartRenewal(lease);
                break;
            case LeaseTimer.Rotate when lease.Serial == _book.CurrentSerial:
                BeginRotation(lease, "is within its rotation lead of the hard end");
                break;
            case LeaseTimer.Expiry when lease.Renewal != Renewal.None:
                // Its answer decides: the server may have extended the lease just before our clock ran out. The
                // renewal's deadline was this expiry, so no retry follows and it ends within one attempt's timeout.
                Update(lease.ExpireDuringRenewal());
                break;
            case LeaseTimer.Expiry when lease.CanFire(LeaseTrigger.LeaseLost):
                OnExpired(lease);
                break;
            case LeaseTimer.DrainCheck when lease.State == LeaseState.Retiring:
                CountSessions(lease);
                break;
            case LeaseTimer.Drain when lease.State == LeaseState.Retiring:
                OnDrainDeadline(lease);
                break;
            case LeaseTimer.RevokeRetry when lease.State == LeaseState.Revoking:
                SendRevoke(lease);
                break;
        }
    }

    // ---- start: recovery of a previous agent's journal ----

    /// <summary>
    /// A previous agent on this volume left a journal: its current lease is adopted (lookup, renew, probe, publish; no
    /// new user), everything else it held or may have held is revoked. Without a lease to adopt, a new one is generated.
    /// </summary>
    private void OnStarted(JournalDocument journal)
    {
        if (journal.IsEmpty)
        {
            Acquire();
            return;
        }

        _book = _book with { Generation = journal.Leases.Select(l => l.Generation).Concat(journal.Intents.Select(i => i.Generation)).DefaultIfEmpty(0).Max() };
        var toAdopt = journal.Leases.FirstOrDefault(l => l is { Current: true, Username: not null, Password: not null });
        foreach (var entry in journal.Leases.Where(l => l != toAdopt))
        {
            RevokeOrphan(entry.LeaseId, entry.Generation, entry.ClientRef);
        }

        foreach (var intent in journal.Intents)
        {
            TrackIntent(intent, reason: null);
        }

        Emit(new LogJournalRecovered(toAdopt?.LeaseId, journal.Leases.Count - (toAdopt is null ? 0 : 1), journal.Intents.Count));
        if (toAdopt is null)
        {
            Acquire();
            return;
        }

        var lease = Create(toAdopt.Generation);
        _book = _book with { NextSerial = lease.Serial, AdoptingSerial = lease.Serial };
        lease = Fire(lease.Adopt(
            toAdopt.LeaseId,
            new DatabaseCredential(toAdopt.Username!, toAdopt.Password!),
            toAdopt.LifetimeSeconds is { } seconds ? TimeSpan.FromSeconds(seconds) : null));
        var increment = Options.Ttl ?? (toAdopt.DurationSeconds is { } d ? TimeSpan.FromSeconds(d) : null);
        Start(new AdoptLease(lease.Serial, toAdopt.LeaseId, increment));
    }

    private void OnAdopted(Lease lease, LeaseGrant? grant, Exception? error)
    {
        if (lease.State != LeaseState.Adopting)
        {
            return;
        }

        if (grant is not null)
        {
            StartProbe(Fire(lease.Issue(grant, _now)));
            return;
        }

        var (code, _, message) = Describe(error);
        Emit(new LogAdoptionFailed(lease.LeaseId, $"{code}: {message}"));
        lease = Fire(lease.FailAdoption());
        _book = _book with { AdoptingSerial = null, NextSerial = null };
        Revoke(lease);
        Acquire();
    }

    // ---- acquisition: generate, probe, publish ----

    private void Acquire()
    {
        if (_book.Stopping || _book.Next is not null)
        {
            return;
        }

        // The journal, written before the effects run, names the intent before the request leaves: if the agent dies
        // before the answer, the next one on this volume finds the lease by its client reference and revokes it.
        var lease = Fire(Create(_book.Generation + 1, _now.ClientRef).StartGenerating());
        _book = _book with { Generation = lease.Generation, NextSerial = lease.Serial };
        Start(new Generate(lease.Serial, lease.ClientRef, Options.Ttl));
    }

    private void OnGenerated(Lease lease, LeaseGrant? grant, Exception? error)
    {
        if (grant is null)
        {
            var (code, requestId, message) = Describe(error);

            // The server may hold a lease although no usable answer came. One it named is revoked at once; every
            // other one minted under this reference (a timed-out attempt, a dropped answer, Polly's retries) is
            // looked up and revoked, independently of the next attempt, and the intent stays journalled meanwhile.
            var unusable = (error as ScaiVaultException)?.LeaseId;
            lease = Fire(lease.FailGeneration(unusable));
            if (unusable is not null)
            {
                Emit(new LogUnusableGrantRevoked(unusable, code, message));
            }

            Revoke(lease);
            if (error is not ScaiVaultException { MayHaveTakenEffect: false })
            {
                TrackIntent(new JournalIntent(lease.ClientRef, lease.Generation), code);
            }

            var retryIn = ScaiVaultResilience.BackoffAfterFailure(_book.AcquireFailures, error, _now.Random);
            _book = _book with { NextSerial = null, LastError = code, AcquireFailures = _book.AcquireFailures + 1 };
            RotationFailed();
            Emit(new LogAcquireFailed(code, requestId, message, retryIn));
            ScheduleAcquire(retryIn);
            return;
        }

        lease = Fire(lease.Issue(grant, _now));
        if (grant.MayHaveTwins)
        {
            TrackIntent(new JournalIntent(lease.ClientRef, lease.Generation), "an earlier attempt got no answer");
        }

        StartProbe(lease);
    }

    private void StartProbe(Lease lease)
    {
        if (!_book.Stopping)
        {
            Start(new Probe(lease.Serial, lease.Credential!)); // when stopping, the lease stays Probing and the shutdown revokes it
        }
    }

    private void OnProbed(Lease lease, ProbeResult? result, Exception? error)
    {
        if (_book.Stopping || lease.State != LeaseState.Probing)
        {
            return;
        }

        if (result is { Passed: true })
        {
            Emit(new LogProbePassed(lease.Credential!.Username, result.Attempts));
            Publish(Fire(lease.PassProbe()));
            return;
        }

        var failure = result?.Failure.ToString() ?? "ProbeCrashed";
        Emit(new CountProbeFailure(failure));
        Emit(new LogProbeFailed(lease.Credential!.Username, result?.Attempts ?? 0, failure, result?.Error ?? error?.GetType().Name));
        _book = _book with { LastError = "probe_failed" };
        lease = Fire(lease.FailProbe());
        if (lease.Serial == _book.AdoptingSerial)
        {
            // The journalled credential no longer logs in: its user is gone or changed. Start afresh.
            Emit(new LogAdoptionFailed(lease.LeaseId, "its credential no longer logs in"));
        }

        AbandonAndRetry(lease);
    }

    private void Publish(Lease lease)
    {
        // A credential that expires before the app can use it is worse than none: the file would appear and vanish,
        // and its replacement would be minted at once, again and again.
        var timeline = lease.Timeline!;
        var left = timeline.ExpiresIn(_now);
        if (left < Max(MinimumTimeLeftToPublish, timeline.GrantedDuration / 10))
        {
            Emit(new LogTooShortToPublish(lease.LeaseId, left, timeline.GrantedDuration));
            _book = _book with { LastError = "lease_too_short" };
            AbandonAndRetry(Fire(lease.FailPublish()));
            return;
        }

        // Write-ahead: the journal names this lease current before the app can see it. An agent killed just after the
        // rename is then followed by one that adopts the credential the app already uses, instead of revoking it as an
        // unpublished leftover and minting another.
        _book = _book with { PublishingSerial = lease.Serial };
        Emit(new PublishCredential(lease));
    }

    private void OnPublished(Lease lease, string? error)
    {
        _book = _book with { PublishingSerial = null };
        if (lease.State != LeaseState.Publishing)
        {
            return;
        }

        if (error is not null)
        {
            Emit(new LogPublishFailed(error));
            _book = _book with { LastError = "publish_failed" };
            AbandonAndRetry(Fire(lease.FailPublish()));
            return;
        }

        lease = Fire(lease.MarkPublished(_now));
        var previous = _book.Current;
        if (previous is not null)
        {
            Emit(new CountRotation("ok"));
        }

        _book = _book with { CurrentSerial = lease.Serial, NextSerial = null, AdoptingSerial = null, AcquireFailures = 0, LastError = null, Degraded = false };
        Emit(new LogPublished(lease.Generation, lease.Credential!.Username, lease.LeaseId!, lease.Timeline!.ExpiresIn(_now), lease.Timeline.HardEndIn(_now)));
        ScheduleLeaseTimers(lease);
        if (previous is not null)
        {
            Retire(previous);
        }

        // The app already has the first credential it starts with; it needs telling only about a new user.
        var user = lease.Credential.Username;
        if (_book.LastPublishedUser is not null && _book.LastPublishedUser != user)
        {
            Emit(new SignalApp($"generation {lease.Generation} published"));
        }

        _book = _book with { LastPublishedUser = user };
    }

    /// <summary>The lease being acquired is given up: it is revoked, and another is tried after a backoff.</summary>
    private void AbandonAndRetry(Lease lease)
    {
        RotationFailed();
        _book = _book with
        {
            NextSerial = null,
            AdoptingSerial = lease.Serial == _book.AdoptingSerial ? null : _book.AdoptingSerial, // no longer the journal's current lease
        };
        Revoke(lease);
        var retryIn = ScaiVaultResilience.BackoffAfterFailure(_book.AcquireFailures, error: null, _now.Random);
        _book = _book with { AcquireFailures = _book.AcquireFailures + 1 };
        ScheduleAcquire(retryIn);
    }

    /// <summary>A replacement could not be had while a credential is published: it stays, but the agent is degraded.</summary>
    private void RotationFailed()
    {
        if (_book.Current is not null)
        {
            Emit(new CountRotation("failed"));
            _book = _book with { Degraded = true };
        }
    }

    private void ScheduleAcquire(TimeSpan delay)
    {
        if (!_book.Stopping)
        {
            Emit(new SetTimer(AcquireBackoff.Key, delay));
        }
    }

    // ---- renewal and rotation ----

    /// <param name="rotate">False for a retiring lease: it is kept alive while it drains, never replaced.</param>
    /// <returns>When the next renewal is due; <see cref="TimeSpan.MaxValue"/> when no renewal can extend the lease.</returns>
    private TimeSpan ScheduleLeaseTimers(Lease lease, bool rotate = true)
    {
        var timeline = lease.Timeline!;
        var grant = lease.Grant!;
        var expiresIn = timeline.ExpiresIn(_now);
        var hardEndIn = grant.Renewable ? timeline.HardEndIn(_now) : Min(timeline.HardEndIn(_now), expiresIn);
        var rotateBefore = RenewalSchedule.RotateBefore(Options.RotateBefore, lease.Lifetime ?? grant.Duration);
        var rotateIn = RenewalSchedule.RotateAfter(hardEndIn, rotateBefore);

        SetLeaseTimer(lease, LeaseTimer.Expiry, expiresIn);
        SetLeaseTimer(lease, LeaseTimer.Rotate, rotate ? rotateIn : TimeSpan.MaxValue);

        // Keep renewing while a renewal can still extend the lease, even once rotation is due: if the new
        // lease cannot be had, the current one should live as long as the server allows.
        // Counted from when the grant arrived, not from now: timers are also rescheduled later (on retiring).
        var sinceGrant = timeline.GrantedDuration - expiresIn;
        var renewIn = grant.Renewable && expiresIn < hardEndIn
            ? Max(TimeSpan.Zero, RenewalSchedule.RenewAfter(grant.Duration, _settings.Jitter) - sinceGrant)
            : TimeSpan.MaxValue;
        SetLeaseTimer(lease, LeaseTimer.Renew, renewIn);
        return renewIn;
    }

    private void StartRenewal(Lease lease)
    {
        if (lease.State != LeaseState.Retiring)
        {
            lease = Fire(lease.StartRenewing());
        }

        var increment = Options.Ttl ?? lease.Timeline!.GrantedDuration;
        lease = Update(lease.SendRenewal());
        Start(new Renew(lease.Serial, lease.LeaseId!, increment, lease.Timeline!.ExpiresAt));
    }

    private void OnRenewed(Lease lease, LeaseGrant? grant, TimeSpan requested, Exception? error)
    {
        (lease, var expiredMeanwhile) = lease.CompleteRenewal();
        lease = Update(lease);
        if (expiredMeanwhile && grant is null && !_book.Stopping && lease.CanFire(LeaseTrigger.LeaseLost))
        {
            OnExpired(lease); // the renewal that might have saved it failed too
            return;
        }

        if (!_book.Stopping && lease.State == LeaseState.Retiring)
        {
            if (grant is not null)
            {
                ScheduleLeaseTimers(Fire(lease.Renew(grant, _now)), rotate: false);
            }

            Emit(new LogRetiringRenewed(lease.LeaseId, grant is not null ? "extended" : Describe(error).Code));
            return;
        }

        if (_book.Stopping || lease.State != LeaseState.Renewing)
        {
            return; // lost, superseded and not extended, or shutting down while the renewal was in flight
        }

        if (grant is not null)
        {
            lease = Fire(lease.Renew(grant, _now));
            var renewIn = ScheduleLeaseTimers(lease);
            var timeline = lease.Timeline!;
            var rotateIn = RenewalSchedule.RotateAfter(timeline.HardEndIn(_now), RenewalSchedule.RotateBefore(Options.RotateBefore, lease.Lifetime!.Value));
            var nextRenewalIn = renewIn == TimeSpan.MaxValue ? TimeSpan.MaxValue : RenewalSchedule.RenewAfter(grant.Duration, _settings.Jitter);
            Emit(new LogRenewed(lease.LeaseId!, grant.Duration, nextRenewalIn, rotateIn));
            _book = _book with { LastError = null, Degraded = false };
            var capped = RenewalSchedule.IsCapped(requested, grant.Duration, grant.TimeToHardEnd);
            Emit(new CountRenewal(capped ? "capped" : "ok"));
            if (capped)
            {
                BeginRotation(lease, "was renewed only up to its max TTL");
            }

            // A user dropped out of band while its lease lives on: only a login tells. No propagation
            // window here: this user has logged in before.
            Start(new ProbeCurrent(lease.Serial, lease.Credential!));
            return;
        }

        if (error is ScaiVaultException { IsLeaseGone: true })
        {
            Emit(new CountRenewal("lost"));
            Emit(new LogLeaseLost(lease.LeaseId, "ScaiVault no longer knows it"));
            LoseCurrent(lease, "lease_not_found");
            return;
        }

        lease = Fire(lease.FailRenewal());
        Emit(new CountRenewal("failed"));
        var (code, requestId, message) = Describe(error);

        // Still valid and published, but the agent cannot currently extend it.
        _book = _book with { Degraded = true, LastError = code };
        var expiresIn = lease.Timeline!.ExpiresIn(_now);
        var retryIn = RenewalSchedule.RetryAfter(lease.FailedAttempts, expiresIn, _now.Random.NextDouble());
        if (error is ScaiVaultException { RetryAfter: { } retryAfter } && retryAfter > retryIn && retryAfter < expiresIn)
        {
            retryIn = retryAfter;
        }

        Emit(new LogRenewFailed(lease.LeaseId, code, requestId, message, retryIn, expiresIn));
        SetLeaseTimer(lease, LeaseTimer.Renew, retryIn);
    }

    private void OnCurrentProbed(Lease lease, ProbeResult? result)
    {
        if (_book.Stopping || lease.Serial != _book.CurrentSerial || !lease.IsInService || result is not { Failure: ProbeFailure.AuthenticationFailed })
        {
            return; // an unreachable Postgres is not the credential's fault: keep it
        }

        Emit(new CountProbeFailure(result.Failure.ToString()));
        Emit(new LogLeaseLost(lease.LeaseId, "its user can no longer log in"));
        LoseCurrent(lease, "credential_rejected");
    }

    private void BeginRotation(Lease lease, string reason)
    {
        if (_book.Next is not null || _book.Stopping)
        {
            return;
        }

        Emit(new LogRotationStarted(lease.LeaseId, reason, _book.Generation + 1));
        Acquire();
    }

    // ---- loss ----

    private void OnExpired(Lease lease)
    {
        if (lease.Serial == _book.CurrentSerial)
        {
            Emit(new LogExpired(lease.LeaseId));
            LoseCurrent(lease, "lease_expired");
        }
        else
        {
            Revoke(Fire(lease.MarkLost()));
        }
    }

    /// <summary>
    /// The published credential is dead: remove the file so the app fails fast, make sure the server forgets
    /// the lease (revoking is idempotent, and drops a user that outlived its lease), and get a new one: at once,
    /// unless leases keep dying soon after they are published, which would otherwise loop.
    /// </summary>
    private void LoseCurrent(Lease lease, string reason)
    {
        lease = Fire(lease.MarkLost());
        _book = _book with { LastError = reason };
        if (lease.Serial == _book.CurrentSerial)
        {
            _book = _book with { CurrentSerial = null };
            Emit(new Unpublish());
        }

        Revoke(lease);
        var lived = lease.PublishedAt is { } publishedAt ? _now.GetElapsedTime(publishedAt) : TimeSpan.Zero;
        var losses = lived < ShortLivedLease ? _book.ShortLivedLosses + 1 : 0;
        _book = _book with { ShortLivedLosses = losses };
        if (losses <= 1)
        {
            Acquire();
            return;
        }

        var retryIn = Backoff.ScaiVaultOperation.Delay(losses - 2, _now.Random);
        Emit(new LogLostSoonAfterPublishing(lease.LeaseId, lived, losses, retryIn));
        ScheduleAcquire(retryIn);
    }

    // ---- retirement and drain ----
    // A superseded lease is revoked once pg_stat_activity shows no session of its user, or when LEASE_DRAIN_TIMEOUT
    // passes, whichever comes first. Its events are ignored once it has left Retiring (revoked, lost, cut short).

    private void Retire(Lease previous)
    {
        Emit(new CancelLeaseTimers(previous.Serial));
        if (!previous.CanFire(LeaseTrigger.Superseded))
        {
            Revoke(previous);
            return;
        }

        // At most two live leases per pod: a lease still draining from the rotation before goes now.
        foreach (var draining in _book.Retiring.ToList())
        {
            Emit(new LogDrainCutShort(draining.LeaseId, _book.Current!.Generation));
            Revoke(draining);
        }

        previous = Fire(previous.Supersede());
        Emit(new LogRetiring(previous.LeaseId));
        ScheduleLeaseTimers(previous, rotate: false);
        SetLeaseTimer(previous, LeaseTimer.Drain, Options.DrainTimeout);

        // The app needs a moment to see the new file and swap its pool; an empty pg_stat_activity before
        // then only means the pool was idle, not that the old password is forgotten.
        SetLeaseTimer(previous, LeaseTimer.DrainCheck, Min(MinimumDrain, Options.DrainTimeout));
    }

    private void CountSessions(Lease retiring)
    {
        if (_book.Current?.Credential is { } observer && retiring.Credential is { } old)
        {
            Start(new CountSessions(retiring.Serial, observer, old.Username));
        }
    }

    private void OnSessionsCounted(Lease retiring, int? sessions, Exception? error)
    {
        if (retiring.State != LeaseState.Retiring)
        {
            return;
        }

        if (sessions is null)
        {
            Emit(new LogDrainCheckFailed(retiring.LeaseId, error?.GetType().Name ?? "the query failed"));
        }

        retiring = Update(retiring.CountDrainSessions(sessions));
        if (sessions == 0)
        {
            Emit(new LogDrained(retiring.LeaseId, retiring.Credential!.Username));
            Revoke(retiring);
        }
        else if (!_book.Stopping)
        {
            SetLeaseTimer(retiring, LeaseTimer.DrainCheck, DrainPollInterval);
        }
    }

    private void OnDrainDeadline(Lease retiring)
    {
        // Revoking ends the sessions still open: say so, for whoever wonders why the app saw errors.
        if (retiring.DrainSessions is > 0 and var sessions)
        {
            Emit(new LogStillInUseAtDrainDeadline(retiring.LeaseId, retiring.Credential?.Username ?? "?", sessions));
        }

        Revoke(retiring);
    }

    // ---- revocation: one path, for retirement, failures, orphans and the shutdown ----

    private void Revoke(Lease lease)
    {
        Emit(new CancelLeaseTimers(lease.Serial));
        lease = Update(lease.CountDrainSessions(null));
        if (!lease.NeedsRevocation)
        {
            Forget(lease);
            return;
        }

        SendRevoke(Fire(lease.StartRevoking()));
    }

    private void SendRevoke(Lease lease) => Start(new SendRevoke(lease.Serial, lease.LeaseId!));

    private void OnRevoked(Lease lease, Exception? error)
    {
        if (lease.State != LeaseState.Revoking)
        {
            return;
        }

        if (error is null or ScaiVaultException { IsLeaseGone: true })
        {
            lease = Fire(lease.ConfirmRevoked());
            Emit(new CountRevocation("ok"));
            Emit(new LogRevoked(lease.LeaseId, lease.Generation));
            if (_book.Shutdown == ShutdownPhase.Revoking)
            {
                _book = _book with { RevokedOnShutdown = _book.RevokedOnShutdown + 1 };
            }

            Forget(lease);
            return;
        }

        lease = Fire(lease.FailRevocation());
        Emit(new CountRevocation("failed"));
        var (code, requestId, message) = Describe(error);
        Emit(new LogRevokeFailed(lease.LeaseId, code, requestId, message));
        if (!_book.Stopping && lease.FailedAttempts < MaxAttempts)
        {
            SetLeaseTimer(lease, LeaseTimer.RevokeRetry, ScaiVaultResilience.BackoffAfterFailure(lease.FailedAttempts, error, _now.Random));
        }
    }

    /// <summary>A lease a previous agent held, or that a doubtful generate's reference found: it is only ever revoked.</summary>
    private void RevokeOrphan(string leaseId, int generation, string? clientRef) =>
        Revoke(Fire(Create(generation, clientRef ?? "").Orphan(leaseId)));

    /// <summary>Stops tracking a lease the server no longer holds for us.</summary>
    private void Forget(Lease lease)
    {
        if (!lease.NeedsRevocation && lease.State != LeaseState.Revoking)
        {
            Emit(new CancelLeaseTimers(lease.Serial));
            _book = _book.Remove(lease);
        }
    }

    // ---- doubtful generates ----
    // A generate that may have minted a lease nobody was told about (its answer never came or could not be used, an
    // earlier attempt of it got none, or a previous agent's) is found by the reference sent with it, and what it finds
    // is revoked. It is looked up at once and, because a server still creating the user when the agent gave up stores
    // the lease only later, once more after IntentSettleTime; a failed look-up is retried with backoff. The intent stays
    // journalled until then, so the shutdown, or a restart, looks again.

    /// <param name="reason">Why the generate is in doubt, for the log; null for a journalled intent (logged on recovery).</param>
    private void TrackIntent(JournalIntent intent, string? reason)
    {
        if (_book.FindIntent(intent) is not null)
        {
            return;
        }

        if (reason is not null)
        {
            Emit(new LogIntentLookingUp(intent.ClientRef, reason));
        }

        _book = _book.WithIntent(new IntentLookup(intent));
        if (!_book.Stopping)
        {
            Start(new LookUpIntent(intent)); // the shutdown looks up every unresolved intent itself
        }
    }

    private void OnIntentLookupDue(JournalIntent intent)
    {
        if (!_book.Stopping && _book.FindIntent(intent) is not null)
        {
            Start(new LookUpIntent(intent));
        }
    }

    private void OnIntentLookupFailed(JournalIntent intent, Exception? error)
    {
        var (code, _, message) = Describe(error);
        Emit(new LogIntentUnresolved(intent.ClientRef, $"{code}: {message}"));

        // During the shutdown a failed look-up is final: the intent stays journalled for the next agent.
        if (_book.FindIntent(intent) is not { } lookup || _book.Stopping)
        {
            return;
        }

        lookup = lookup with { Failures = lookup.Failures + 1 };
        _book = _book.WithIntent(lookup);
        if (lookup.Failures < MaxAttempts)
        {
            Emit(new SetTimer(new IntentLookupTimer(intent), ScaiVaultResilience.BackoffAfterFailure(lookup.Failures, error, _now.Random)));
        }
    }

    private void OnIntentFound(JournalIntent intent, IReadOnlyList<string> leaseIds)
    {
        // Leases the agent already tracks (the generate's own answer, say) are not orphans.
        foreach (var id in leaseIds.Distinct().Where(id => _book.Leases.All(l => l.LeaseId != id)).ToList())
        {
            RevokeOrphan(id, intent.Generation, intent.ClientRef);
        }

        if (_book.FindIntent(intent) is { Settled: false } lookup && !_book.Stopping)
        {
            _book = _book.WithIntent(lookup with { Settled = true, Failures = 0 });
            Emit(new SetTimer(new IntentLookupTimer(intent), IntentSettleTime));
            return;
        }

        _book = _book.WithoutIntent(intent);
        Emit(new CancelTimer(new IntentLookupTimer(intent)));
    }

    // ---- the shutdown: a mode of the same loop (ShutdownPhase) ----
    // After REVOKE_DELAY, nothing new starts and the operations in flight report back (a generate may still name a
    // lease to revoke); then everything held is revoked through Revoke, the path retirement uses, with one attempt
    // each; then the file is removed and the journal cleared, or kept with whatever was not revoked. SHUTDOWN_TIMEOUT,
    // counted from the signal, bounds it all: when it is spent the shutdown ends with what it has.

    /// <param name="delayRevocation">False after a crash: the state the loop left cannot be trusted to keep renewing.</param>
    private void BeginShutdown(bool delayRevocation)
    {
        if (_book.Stopping)
        {
            return;
        }

        if (_book.Shutdown == ShutdownPhase.Running)
        {
            Emit(new StartShutdownClock());

            // REVOKE_DELAY: a classic sidecar is stopped together with the app, so it keeps the credential alive
            // (renewing as usual) while the app drains, before revoking.
            var shutdown = _settings.Shutdown;
            if (delayRevocation && shutdown.RevokeDelay > TimeSpan.Zero && shutdown.RevokeOnShutdown)
            {
                Emit(new LogRevokeDelayed());
                _book = _book with { Shutdown = ShutdownPhase.DelayingRevocation };
                Emit(new SetTimer(RevokeDelayOver.Key, shutdown.RevokeDelay));
                return;
            }
        }

        _book = _book with { Shutdown = ShutdownPhase.Draining };
        Emit(new StopStartingWork());
    }

    /// <summary>Moves the shutdown on once nothing is in flight: from draining to revoking, from revoking to done.</summary>
    private void ContinueShutdown()
    {
        if (_book.Shutdown == ShutdownPhase.Draining && _book.InFlight == 0)
        {
            RevokeAll();
        }

        if (_book.Shutdown == ShutdownPhase.Revoking && _book.InFlight == 0)
        {
            Finish();
        }
    }

    private void RevokeAll()
    {
        _book = _book with { Shutdown = ShutdownPhase.Revoking };
        if (!_settings.Shutdown.RevokeOnShutdown)
        {
            // Leases live on until their TTL; the journal lets a restart adopt them.
            Emit(new LogNotRevoking(_book.Leases.Count(l => l.NeedsRevocation)));
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
            Start(new LookUpIntent(intent));
        }

        var held = _book.Leases.Where(l => l.NeedsRevocation || l.State == LeaseState.Revoking).ToList();
        Emit(new LogShuttingDown(held.Count));
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
        Emit(new LogShutdownBudgetSpent(_book.InFlight));
        Emit(new StopStartingWork());
        Finish();
    }

    private void Finish()
    {
        // Whatever is still journalled was not revoked: it stays for the next agent on this volume to adopt or revoke.
        // The book keeps naming the current lease, so that the journal kept says which one to adopt.
        var left = _book.ToJournal();
        var revoking = _settings.Shutdown.RevokeOnShutdown;
        var failed = revoking ? left.Leases.Count + left.Intents.Count : 0;
        _book = _book with { Shutdown = ShutdownPhase.Done, LastError = failed > 0 ? "revoke_failed" : null };
        Emit(new FinishShutdown(DeleteJournal: revoking && failed == 0, _book.RevokedOnShutdown, failed));
    }

    // ---- building the decision ----

    private void Emit(LeaseEffect effect) => _effects.Add(effect);

    /// <summary>An operation whose outcome comes back as an event: counted in flight until it does.</summary>
    private void Start(LeaseEffect operation)
    {
        _book = _book with { InFlight = _book.InFlight + 1 };
        _effects.Add(operation);
    }

    private Lease Create(int generation, string clientRef = "")
    {
        (_book, var lease) = _book.Create(generation, clientRef);
        return lease;
    }

    /// <summary>Puts a lease's new value in the book (no transition).</summary>
    private Lease Update(Lease lease)
    {
        _book = _book.Update(lease);
        return lease;
    }

    /// <summary>Puts a lease's new value in the book and logs the transition that led to it.</summary>
    private Lease Fire(Lease lease)
    {
        var before = _book.Find(lease.Serial);
        if (lease.LastTransition is { } transition && lease.Transitions != before?.Transitions)
        {
            Emit(new LogTransition(lease.Generation, lease.LeaseId, transition));
        }

        return Update(lease);
    }

    private void SetLeaseTimer(Lease lease, LeaseTimer timer, TimeSpan due) =>
        Emit(new SetTimer(new LeaseTimerKey(lease.Serial, timer), _book.Stopping ? TimeSpan.MaxValue : due));

    /// <summary>A failure as the status file's code, the server's request id and a message for the log.</summary>
    public static (string Code, string? RequestId, string Message) Describe(Exception? error) => error switch
    {
        ScaiVaultException e => (e.Code, e.RequestId, e.Message),
        OperationCanceledException => ("cancelled", null, "the operation was cancelled"),
        null => ("unknown", null, "no answer"),
        _ => ("unexpected", null, error.GetType().Name),
    };

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;
}
