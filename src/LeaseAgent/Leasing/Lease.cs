using LeaseAgent.ScaiVault;
using Stateless;
using Stateless.Graph;

namespace LeaseAgent.Leasing;

/// <summary>
/// One credential lease and the Stateless machine that drives it. <see cref="Configure"/> is the readable
/// specification of the lifecycle. Only the supervisor's single event loop calls the intent methods, so the
/// machine is never fired concurrently; the methods do no I/O.
/// </summary>
public sealed class Lease
{
    private readonly StateMachine<LeaseState, LeaseTrigger> _machine;
    private readonly StateMachine<LeaseState, LeaseTrigger>.TriggerWithParameters<LeaseGrant> _issued;
    private readonly StateMachine<LeaseState, LeaseTrigger>.TriggerWithParameters<LeaseGrant> _renewed;
    private readonly TimeProvider _time;

    public Lease(int generation, TimeProvider time, Action<Lease, LeaseTransition>? onTransition = null)
    {
        Generation = generation;
        ClientRef = "la-" + Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(12));
        _time = time;
        _machine = new StateMachine<LeaseState, LeaseTrigger>(LeaseState.Pending);
        _issued = _machine.SetTriggerParameters<LeaseGrant>(LeaseTrigger.Issued);
        _renewed = _machine.SetTriggerParameters<LeaseGrant>(LeaseTrigger.Renewed);
        Configure();
        if (onTransition is not null)
        {
            _machine.OnTransitioned(t => onTransition(this, new LeaseTransition(t.Source, t.Destination, t.Trigger)));
        }
    }

    /// <summary>1 for the first lease of this agent, +1 for each replacement.</summary>
    public int Generation { get; }

    public LeaseState State => _machine.State;

    /// <summary>A random reference sent with the generate so the lease can be found if its answer is lost.</summary>
    public string ClientRef { get; private set; }

    public string? LeaseId { get; private set; }

    public DatabaseCredential? Credential { get; private set; }

    /// <summary>The latest answer about this lease (generate or renew).</summary>
    public LeaseGrant? Grant { get; private set; }

    public LeaseTimeline? Timeline { get; private set; }

    /// <summary>From issue to hard end, as first granted; what the rotate-before lead is capped against.</summary>
    public TimeSpan? Lifetime { get; private set; }

    /// <summary>When its credential was published (<see cref="TimeProvider.GetTimestamp"/>); null before.</summary>
    public long? PublishedAt { get; private set; }

    /// <summary>Consecutive failed renewals (or revocations) since the last success.</summary>
    public int FailedAttempts { get; private set; }

    /// <summary>Whether a renewal request for this lease is on its way, and whether its local expiry came meanwhile.</summary>
    public Renewal Renewal { get; private set; }

    /// <summary>The app's sessions on this (retiring) lease's user at the last drain check; null when unknown.</summary>
    public int? DrainSessions { get; private set; }

    /// <summary>Whether the server may still hold this lease, so that revoking it is meaningful.</summary>
    public bool NeedsRevocation => _machine.CanFire(LeaseTrigger.Revoke);

    /// <summary>Whether this lease's credential is the one the app should be using.</summary>
    public bool IsInService => _machine.IsInState(LeaseState.Active);

    public void StartGenerating() => _machine.Fire(LeaseTrigger.Generate);

    /// <summary>Takes over a lease a previous agent on this volume journalled as current.</summary>
    public void Adopt(string leaseId, DatabaseCredential credential, TimeSpan? lifetime)
    {
        LeaseId = leaseId;
        Credential = credential;
        Lifetime = lifetime;
        _machine.Fire(LeaseTrigger.Adopt);
    }

    public void FailAdoption() => _machine.Fire(LeaseTrigger.AdoptionFailed);

    /// <summary>A lease a previous agent held (or may have been minted for it) and that must only be revoked.</summary>
    public void Orphan(string leaseId, string? clientRef)
    {
        LeaseId = leaseId;
        ClientRef = clientRef ?? ClientRef;
        _machine.Fire(LeaseTrigger.Orphaned);
    }

    public void Issue(LeaseGrant grant) => _machine.Fire(_issued, grant);

    /// <param name="leaseId">The lease an unusable answer named: the server holds it, so it is left to revoke.</param>
    public void FailGeneration(string? leaseId = null)
    {
        LeaseId ??= leaseId;
        _machine.Fire(LeaseTrigger.GenerationFailed);
    }

    public void PassProbe() => _machine.Fire(LeaseTrigger.ProbePassed);

    public void FailProbe() => _machine.Fire(LeaseTrigger.ProbeFailed);

    public void MarkPublished()
    {
        PublishedAt = _time.GetTimestamp();
        _machine.Fire(LeaseTrigger.Published);
    }

    public void FailPublish() => _machine.Fire(LeaseTrigger.PublishFailed);

    public void StartRenewing() => _machine.Fire(LeaseTrigger.RenewDue);

    /// <summary>A renewal request leaves (from Active through <see cref="StartRenewing"/>, or while Retiring).</summary>
    public void SendRenewal() => Renewal = Renewal.InFlight;

    /// <summary>The local expiry came while a renewal was on its way: its answer decides.</summary>
    public void ExpireDuringRenewal() => Renewal = Renewal.InFlightPastExpiry;

    /// <summary>The renewal's answer came; returns whether the lease's local expiry passed meanwhile.</summary>
    public bool CompleteRenewal()
    {
        var expired = Renewal == Renewal.InFlightPastExpiry;
        Renewal = Renewal.None;
        return expired;
    }

    public void Renew(LeaseGrant grant) => _machine.Fire(_renewed, grant);

    public void FailRenewal() => _machine.Fire(LeaseTrigger.RenewalFailed);

    public void CountDrainSessions(int? sessions) => DrainSessions = sessions;

    public void Supersede() => _machine.Fire(LeaseTrigger.Superseded);

    public void MarkLost() => _machine.Fire(LeaseTrigger.LeaseLost);

    public void StartRevoking() => _machine.Fire(LeaseTrigger.Revoke);

    public void ConfirmRevoked() => _machine.Fire(LeaseTrigger.RevocationSucceeded);

    public void FailRevocation() => _machine.Fire(LeaseTrigger.RevocationFailed);

    public bool CanFire(LeaseTrigger trigger) => _machine.CanFire(trigger);

    public override string ToString() => $"Lease {{ Generation = {Generation}, LeaseId = {LeaseId}, State = {State} }}";

    /// <summary>The machine as a Graphviz dot graph.</summary>
    public string ToDotGraph() => UmlDotGraph.Format(_machine.GetInfo());

    /// <summary>The machine as a Mermaid state diagram.</summary>
    public string ToMermaidGraph() => MermaidGraph.Format(_machine.GetInfo());

    private void Configure()
    {
        // Every state in which the server may hold a lease for us: each can be revoked (on SIGTERM, after a
        // failed probe, after draining). Before a grant arrives there is nothing to revoke.
        _machine.Configure(LeaseState.Pending)
            .Permit(LeaseTrigger.Generate, LeaseState.Generating)
            .Permit(LeaseTrigger.Adopt, LeaseState.Adopting)
            .Permit(LeaseTrigger.Orphaned, LeaseState.Abandoned)
            .Permit(LeaseTrigger.GenerationFailed, LeaseState.Abandoned);

        _machine.Configure(LeaseState.Generating)
            .Permit(LeaseTrigger.Issued, LeaseState.Probing)
            .Permit(LeaseTrigger.GenerationFailed, LeaseState.Abandoned);

        // Adoption re-enters the normal path at the probe: nothing is published that was not just proven.
        _machine.Configure(LeaseState.Adopting)
            .Permit(LeaseTrigger.Issued, LeaseState.Probing)
            .Permit(LeaseTrigger.AdoptionFailed, LeaseState.Lost)
            .Permit(LeaseTrigger.Revoke, LeaseState.Revoking);

        _machine.Configure(LeaseState.Probing)
            .OnEntryFrom(_issued, Record, "record the grant")
            .Permit(LeaseTrigger.ProbePassed, LeaseState.Publishing)
            .Permit(LeaseTrigger.ProbeFailed, LeaseState.Abandoned)
            .Permit(LeaseTrigger.Revoke, LeaseState.Revoking);

        _machine.Configure(LeaseState.Publishing)
            .Permit(LeaseTrigger.Published, LeaseState.Active)
            .Permit(LeaseTrigger.PublishFailed, LeaseState.Abandoned)
            .Permit(LeaseTrigger.Revoke, LeaseState.Revoking);

        _machine.Configure(LeaseState.Active)
            .Permit(LeaseTrigger.RenewDue, LeaseState.Renewing)
            .Permit(LeaseTrigger.Superseded, LeaseState.Retiring)
            .Permit(LeaseTrigger.LeaseLost, LeaseState.Lost)
            .Permit(LeaseTrigger.Revoke, LeaseState.Revoking);

        // Renewing is a substate of Active: the credential stays published and the agent stays ready.
        _machine.Configure(LeaseState.Renewing)
            .SubstateOf(LeaseState.Active)
            .Permit(LeaseTrigger.Renewed, LeaseState.Active)
            .Permit(LeaseTrigger.RenewalFailed, LeaseState.Active)
            .OnExit(t =>
            {
                if (t.Trigger == LeaseTrigger.Renewed)
                {
                    Record((LeaseGrant)t.Parameters[0]);
                    FailedAttempts = 0;
                }
                else if (t.Trigger == LeaseTrigger.RenewalFailed)
                {
                    FailedAttempts++;
                }
            });

        // A retiring lease is still renewed: the app may hold sessions on it until the drain deadline.
        _machine.Configure(LeaseState.Retiring)
            .InternalTransition(_renewed, (grant, _) => Record(grant))
            .Permit(LeaseTrigger.Revoke, LeaseState.Revoking)
            .Permit(LeaseTrigger.LeaseLost, LeaseState.Lost);

        _machine.Configure(LeaseState.Revoking)
            .Permit(LeaseTrigger.RevocationSucceeded, LeaseState.Revoked)
            .PermitReentry(LeaseTrigger.RevocationFailed)
            .OnEntryFrom(LeaseTrigger.RevocationFailed, () => FailedAttempts++, "count the failed attempt");

        _machine.Configure(LeaseState.Revoked);

        _machine.Configure(LeaseState.Abandoned)
            .PermitIf(LeaseTrigger.Revoke, LeaseState.Revoking, () => LeaseId is not null, "a lease was issued");

        // A lost lease may still exist at the server (a user dropped out of band, say): revoking is idempotent.
        _machine.Configure(LeaseState.Lost)
            .Permit(LeaseTrigger.Revoke, LeaseState.Revoking);
    }

    private void Record(LeaseGrant grant)
    {
        LeaseId ??= grant.LeaseId;
        Credential = grant.Credential ?? Credential;
        Grant = grant;
        Timeline = LeaseTimeline.From(grant.SentAt ?? _time.GetTimestamp(), grant.Duration, grant.TimeToHardEnd, _time);
        Lifetime ??= grant.TimeToHardEnd ?? grant.Duration;
    }
}

/// <summary>A lease's renewal request, beside its machine state: a retiring lease renews without leaving Retiring.</summary>
public enum Renewal
{
    None,
    InFlight,

    /// <summary>In flight, and the lease's local expiry has passed: if the answer is no extension, the lease is lost.</summary>
    InFlightPastExpiry,
}

/// <summary>One state change, for logging.</summary>
public readonly record struct LeaseTransition(LeaseState From, LeaseState To, LeaseTrigger Trigger);
