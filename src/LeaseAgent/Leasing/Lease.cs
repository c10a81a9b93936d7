using System.Security.Cryptography;
using LeaseAgent.ScaiVault;
using Stateless;
using Stateless.Graph;

namespace LeaseAgent.Leasing;

/// <summary>
/// One credential lease, as an immutable value: its state, what the server said about it, and its counters. Every
/// change is a transition of the lifecycle, which <see cref="Configure"/> specifies as a Stateless machine (the
/// readable specification, and the source of <c>docs/lease-lifecycle.md</c>). The machine is only a transition table:
/// each intent method runs it over a copy and returns the lease it leads to, so nothing here is ever fired
/// concurrently or changed in place.
/// </summary>
public sealed record Lease
{
    private const byte Unknown = 0, Permitted = 1, Refused = 2;
    private static readonly int TriggerCount = Enum.GetValues<LeaseTrigger>().Length;

    /// <summary>The lifecycle's answers to <see cref="CanFire"/>, by state, trigger and whether a lease id is known; filled as asked.</summary>
    private static readonly byte[] Answers = new byte[Enum.GetValues<LeaseState>().Length * TriggerCount * 2];

    /// <param name="serial">The lease's identity in its <see cref="LeaseBook"/>: events and timers name it.</param>
    /// <param name="clientRef">The reference sent with its generate (<see cref="NewClientRef"/>), or a predecessor's; empty when none is known.</param>
    public Lease(int serial, int generation, string clientRef)
    {
        Serial = serial;
        Generation = generation;
        ClientRef = clientRef;
    }

    public int Serial { get; }

    /// <summary>1 for the first lease of this volume, +1 for each replacement.</summary>
    public int Generation { get; }

    public LeaseState State { get; private init; } = LeaseState.Pending;

    /// <summary>A random reference sent with the generate so the lease can be found if its answer is lost.</summary>
    public string ClientRef { get; }

    public string? LeaseId { get; private init; }

    public DatabaseCredential? Credential { get; private init; }

    /// <summary>The latest answer about this lease (generate or renew).</summary>
    public LeaseGrant? Grant { get; private init; }

    public LeaseTimeline? Timeline { get; private init; }

    /// <summary>From issue to hard end, as first granted; what the rotate-before lead is capped against.</summary>
    public TimeSpan? Lifetime { get; private init; }

    /// <summary>When its credential was published (a <see cref="TimeProvider.GetTimestamp"/>); null before.</summary>
    public long? PublishedAt { get; private init; }

    /// <summary>Consecutive failed renewals (or revocations) since the last success.</summary>
    public int FailedAttempts { get; private init; }

    /// <summary>Whether a renewal request for this lease is on its way, and whether its local expiry came meanwhile.</summary>
    public Renewal Renewal { get; private init; }

    /// <summary>The app's sessions on this (retiring) lease's user at the last drain check; null when unknown.</summary>
    public int? DrainSessions { get; private init; }

    /// <summary>The lease's latest transition (for the log); <see cref="Transitions"/> counts them.</summary>
    public LeaseTransition? LastTransition { get; private init; }

    public int Transitions { get; private init; }

    /// <summary>Whether the server may still hold this lease, so that revoking it is meaningful.</summary>
    public bool NeedsRevocation => CanFire(LeaseTrigger.Revoke);

    /// <summary>Whether this lease's credential is the one the app should be using.</summary>
    public bool IsInService => State is LeaseState.Active or LeaseState.Renewing;

    public static string NewClientRef() => "la-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12));

    public Lease StartGenerating() => Fire(LeaseTrigger.Generate);

    /// <summary>Takes over a lease a previous agent on this volume journalled as current.</summary>
    public Lease Adopt(string leaseId, DatabaseCredential credential, TimeSpan? lifetime) =>
        (this with { LeaseId = leaseId, Credential = credential, Lifetime = lifetime }).Fire(LeaseTrigger.Adopt);

    public Lease FailAdoption() => Fire(LeaseTrigger.AdoptionFailed);

    /// <summary>A lease a previous agent held (or may have been minted for it) and that must only be revoked.</summary>
    public Lease Orphan(string leaseId) => (this with { LeaseId = leaseId }).Fire(LeaseTrigger.Orphaned);

    public Lease Issue(LeaseGrant grant, TimeProvider now) => Fire(LeaseTrigger.Issued, grant, now);

    /// <param name="leaseId">The lease an unusable answer named: the server holds it, so it is left to revoke.</param>
    public Lease FailGeneration(string? leaseId = null) => (this with { LeaseId = LeaseId ?? leaseId }).Fire(LeaseTrigger.GenerationFailed);

    public Lease PassProbe() => Fire(LeaseTrigger.ProbePassed);

    public Lease FailProbe() => Fire(LeaseTrigger.ProbeFailed);

    public Lease MarkPublished(TimeProvider now) => (this with { PublishedAt = now.GetTimestamp() }).Fire(LeaseTrigger.Published);

    public Lease FailPublish() => Fire(LeaseTrigger.PublishFailed);

    public Lease StartRenewing() => Fire(LeaseTrigger.RenewDue);

    /// <summary>A renewal request leaves (from Active through <see cref="StartRenewing"/>, or while Retiring).</summary>
    public Lease SendRenewal() => this with { Renewal = Renewal.InFlight };

    /// <summary>The local expiry came while a renewal was on its way: its answer decides.</summary>
    public Lease ExpireDuringRenewal() => this with { Renewal = Renewal.InFlightPastExpiry };

    /// <summary>The renewal's answer came; also says whether the lease's local expiry passed meanwhile.</summary>
    public (Lease Lease, bool ExpiredMeanwhile) CompleteRenewal() => (this with { Renewal = Renewal.None }, Renewal == Renewal.InFlightPastExpiry);

    public Lease Renew(LeaseGrant grant, TimeProvider now) => Fire(LeaseTrigger.Renewed, grant, now);

    public Lease FailRenewal() => Fire(LeaseTrigger.RenewalFailed);

    public Lease CountDrainSessions(int? sessions) => this with { DrainSessions = sessions };

    public Lease Supersede() => Fire(LeaseTrigger.Superseded);

    public Lease MarkLost() => Fire(LeaseTrigger.LeaseLost);

    public Lease StartRevoking() => Fire(LeaseTrigger.Revoke);

    public Lease ConfirmRevoked() => Fire(LeaseTrigger.RevocationSucceeded);

    public Lease FailRevocation() => Fire(LeaseTrigger.RevocationFailed);

    /// <summary>Whether the lifecycle permits <paramref name="trigger"/> now. The only guard reads whether a lease id is known, so the answer is cached by state and that.</summary>
    public bool CanFire(LeaseTrigger trigger)
    {
        // A byte per answer: written whole, so threads that race to fill one slot store the same value.
        var slot = ((((int)State * TriggerCount) + (int)trigger) * 2) + (LeaseId is null ? 0 : 1);
        if (Answers[slot] == Unknown)
        {
            var bare = new Lease(0, 0, "") { State = State, LeaseId = LeaseId is null ? null : "lease" };
            Answers[slot] = new Step(bare, TimeProvider.System).Machine.CanFire(trigger) ? Permitted : Refused;
        }

        return Answers[slot] == Permitted;
    }

    // A record's generated ToString would print the credential's fields; this one names the lease only.
    public override string ToString() => $"Lease {{ Generation = {Generation}, LeaseId = {LeaseId}, State = {State} }}";

    /// <summary>The lifecycle as a Graphviz dot graph.</summary>
    public static string ToDotGraph() => UmlDotGraph.Format(new Step(new Lease(0, 0, ""), TimeProvider.System).Machine.GetInfo());

    /// <summary>The lifecycle as a Mermaid state diagram.</summary>
    public static string ToMermaidGraph() => MermaidGraph.Format(new Step(new Lease(0, 0, ""), TimeProvider.System).Machine.GetInfo());

    /// <exception cref="InvalidOperationException">The lifecycle does not permit <paramref name="trigger"/> in this state (a bug in the policy).</exception>
    private Lease Fire(LeaseTrigger trigger, LeaseGrant? grant = null, TimeProvider? now = null)
    {
        var step = new Step(this, now ?? TimeProvider.System);
        if (grant is null)
        {
            step.Machine.Fire(trigger);
        }
        else
        {
            step.Machine.Fire(trigger == LeaseTrigger.Issued ? step.Issued : step.Renewed, grant);
        }

        return step.Transition is { } transition
            ? step.Lease with { LastTransition = transition, Transitions = Transitions + 1 }
            : step.Lease;
    }

    private Lease Record(LeaseGrant grant, TimeProvider now) => this with
    {
        LeaseId = LeaseId ?? grant.LeaseId,
        Credential = grant.Credential ?? Credential,
        Grant = grant,
        Timeline = LeaseTimeline.From(grant.SentAt ?? now.GetTimestamp(), grant.Duration, grant.TimeToHardEnd, now),
        Lifetime = Lifetime ?? grant.TimeToHardEnd ?? grant.Duration,
    };

    /// <summary>One run of the machine over a copy of the lease: its state lives in <see cref="Lease"/>, which the actions replace.</summary>
    private sealed class Step
    {
        public Step(Lease lease, TimeProvider now)
        {
            Lease = lease;
            Now = now;
            Machine = new StateMachine<LeaseState, LeaseTrigger>(() => Lease.State, state => Lease = Lease with { State = state });
            Issued = Machine.SetTriggerParameters<LeaseGrant>(LeaseTrigger.Issued);
            Renewed = Machine.SetTriggerParameters<LeaseGrant>(LeaseTrigger.Renewed);
            Machine.OnTransitioned(t => Transition = new LeaseTransition(t.Source, t.Destination, t.Trigger));
            Configure(this);
        }

        public Lease Lease { get; set; }

        public TimeProvider Now { get; }

        public StateMachine<LeaseState, LeaseTrigger> Machine { get; }

        public StateMachine<LeaseState, LeaseTrigger>.TriggerWithParameters<LeaseGrant> Issued { get; }

        public StateMachine<LeaseState, LeaseTrigger>.TriggerWithParameters<LeaseGrant> Renewed { get; }

        public LeaseTransition? Transition { get; private set; }

        public void Record(LeaseGrant grant) => Lease = Lease.Record(grant, Now);
    }

    private static void Configure(Step step)
    {
        var machine = step.Machine;

        // Every state in which the server may hold a lease for us: each can be revoked (on SIGTERM, after a
        // failed probe, after draining). Before a grant arrives there is nothing to revoke.
        machine.Configure(LeaseState.Pending)
            .Permit(LeaseTrigger.Generate, LeaseState.Generating)
            .Permit(LeaseTrigger.Adopt, LeaseState.Adopting)
            .Permit(LeaseTrigger.Orphaned, LeaseState.Abandoned)
            .Permit(LeaseTrigger.GenerationFailed, LeaseState.Abandoned);

        machine.Configure(LeaseState.Generating)
            .Permit(LeaseTrigger.Issued, LeaseState.Probing)
            .Permit(LeaseTrigger.GenerationFailed, LeaseState.Abandoned);

        // Adoption re-enters the normal path at the probe: nothing is published that was not just proven.
        machine.Configure(LeaseState.Adopting)
            .Permit(LeaseTrigger.Issued, LeaseState.Probing)
            .Permit(LeaseTrigger.AdoptionFailed, LeaseState.Lost)
            .Permit(LeaseTrigger.Revoke, LeaseState.Revoking);

        machine.Configure(LeaseState.Probing)
            .OnEntryFrom(step.Issued, step.Record, "record the grant")
            .Permit(LeaseTrigger.ProbePassed, LeaseState.Publishing)
            .Permit(LeaseTrigger.ProbeFailed, LeaseState.Abandoned)
            .Permit(LeaseTrigger.Revoke, LeaseState.Revoking);

        machine.Configure(LeaseState.Publishing)
            .Permit(LeaseTrigger.Published, LeaseState.Active)
            .Permit(LeaseTrigger.PublishFailed, LeaseState.Abandoned)
            .Permit(LeaseTrigger.Revoke, LeaseState.Revoking);

        machine.Configure(LeaseState.Active)
            .Permit(LeaseTrigger.RenewDue, LeaseState.Renewing)
            .Permit(LeaseTrigger.Superseded, LeaseState.Retiring)
            .Permit(LeaseTrigger.LeaseLost, LeaseState.Lost)
            .Permit(LeaseTrigger.Revoke, LeaseState.Revoking);

        // Renewing is a substate of Active: the credential stays published and the agent stays ready.
        machine.Configure(LeaseState.Renewing)
            .SubstateOf(LeaseState.Active)
            .Permit(LeaseTrigger.Renewed, LeaseState.Active)
            .Permit(LeaseTrigger.RenewalFailed, LeaseState.Active)
            .OnExit(t =>
            {
                if (t.Trigger == LeaseTrigger.Renewed)
                {
                    step.Record((LeaseGrant)t.Parameters[0]);
                    step.Lease = step.Lease with { FailedAttempts = 0 };
                }
                else if (t.Trigger == LeaseTrigger.RenewalFailed)
                {
                    step.Lease = step.Lease with { FailedAttempts = step.Lease.FailedAttempts + 1 };
                }
            });

        // A retiring lease is still renewed: the app may hold sessions on it until the drain deadline.
        machine.Configure(LeaseState.Retiring)
            .InternalTransition(step.Renewed, (grant, _) => step.Record(grant))
            .Permit(LeaseTrigger.Revoke, LeaseState.Revoking)
            .Permit(LeaseTrigger.LeaseLost, LeaseState.Lost);

        machine.Configure(LeaseState.Revoking)
            .Permit(LeaseTrigger.RevocationSucceeded, LeaseState.Revoked)
            .PermitReentry(LeaseTrigger.RevocationFailed)
            .OnEntryFrom(LeaseTrigger.RevocationFailed, () => step.Lease = step.Lease with { FailedAttempts = step.Lease.FailedAttempts + 1 }, "count the failed attempt");

        machine.Configure(LeaseState.Revoked);

        machine.Configure(LeaseState.Abandoned)
            .PermitIf(LeaseTrigger.Revoke, LeaseState.Revoking, () => step.Lease.LeaseId is not null, "a lease was issued");

        // A lost lease may still exist at the server (a user dropped out of band, say): revoking is idempotent.
        machine.Configure(LeaseState.Lost)
            .Permit(LeaseTrigger.Revoke, LeaseState.Revoking);
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
