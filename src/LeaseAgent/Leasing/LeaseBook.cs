using System.Collections.Immutable;

namespace LeaseAgent.Leasing;

/// <summary>
/// Everything the supervisor knows about the leases of one credential, in one immutable value: every lease the
/// server may hold for it, the roles they play (current, next, adopting, being published), the generates in doubt,
/// and the counters that shape the next decision. The journal is a projection of it (<see cref="ToJournal"/>).
/// Each <see cref="Lease"/> is a value too; the book says which lease plays which part, by its serial.
/// </summary>
public sealed record LeaseBook
{
    /// <summary>Every lease being acquired, in service, retiring or being revoked; a lease leaves once the server no longer holds it.</summary>
    public ImmutableList<Lease> Leases { get; init; } = [];

    /// <summary>The <see cref="Lease.Serial"/> of the lease whose credential is published.</summary>
    public int? CurrentSerial { get; init; }

    /// <summary>The lease being acquired (generated or adopted), probed and published next.</summary>
    public int? NextSerial { get; init; }

    /// <summary>The previous agent's current lease, being taken over: the journal keeps naming it current meanwhile.</summary>
    public int? AdoptingSerial { get; init; }

    /// <summary>The lease whose file is being renamed into place: the journal already names it current.</summary>
    public int? PublishingSerial { get; init; }

    /// <summary>The serial of the newest lease; the next one gets the one after.</summary>
    public int LastSerial { get; init; }

    /// <summary>Operations started and not yet reported back (see <see cref="OperationCompleted"/>).</summary>
    public int InFlight { get; init; }

    /// <summary>Generates that may have minted a lease nobody was told about, in the order they came into doubt.</summary>
    public ImmutableList<IntentLookup> UnresolvedIntents { get; init; } = [];

    /// <summary>The generation of the newest lease (1 for the first of this volume, +1 for each replacement).</summary>
    public int Generation { get; init; }

    /// <summary>Failed acquisitions in a row: the backoff grows with it.</summary>
    public int AcquireFailures { get; init; }

    /// <summary>Published leases lost in a row soon after their publication (see <see cref="LeasePolicy.ShortLivedLease"/>).</summary>
    public int ShortLivedLosses { get; init; }

    /// <summary>The username last published: the app is told to reload only when it changes.</summary>
    public string? LastPublishedUser { get; init; }

    /// <summary>What went wrong last, as a code for the status file; null after a success.</summary>
    public string? LastError { get; init; }

    /// <summary>The published credential is still valid but the agent cannot currently extend or replace it.</summary>
    public bool Degraded { get; init; }

    /// <summary>How far the shutdown has got; <see cref="ShutdownPhase.Running"/> until a stop is requested.</summary>
    public ShutdownPhase Shutdown { get; init; }

    /// <summary>Leases whose revocation the shutdown confirmed (for its closing log line).</summary>
    public int RevokedOnShutdown { get; init; }

    /// <summary>Shutting down for good: no new work starts, everything held is revoked.</summary>
    public bool Stopping => Shutdown >= ShutdownPhase.Draining;

    /// <summary>Superseded leases whose app sessions are draining off them.</summary>
    public IEnumerable<Lease> Retiring => Leases.Where(l => l.State == LeaseState.Retiring);

    public Lease? Current => Find(CurrentSerial);

    public Lease? Next => Find(NextSerial);

    public Lease? Adopting => Find(AdoptingSerial);

    /// <summary>The lease the status reports: the published one, else the one being acquired.</summary>
    public Lease? Shown => Current ?? Next;

    public Lease? Find(int? serial) => serial is null ? null : Leases.Find(l => l.Serial == serial);

    /// <summary>A new lease in <see cref="LeaseState.Pending"/>, with the next serial.</summary>
    public (LeaseBook Book, Lease Lease) Create(int generation, string clientRef)
    {
        var lease = new Lease(LastSerial + 1, generation, clientRef);
        return (this with { Leases = Leases.Add(lease), LastSerial = lease.Serial }, lease);
    }

    /// <summary>Replaces the lease with <paramref name="lease"/>'s serial.</summary>
    public LeaseBook Update(Lease lease)
    {
        var index = Leases.FindIndex(l => l.Serial == lease.Serial);
        return index < 0 ? throw new InvalidOperationException($"{lease} is not in the book") : this with { Leases = Leases.SetItem(index, lease) };
    }

    public LeaseBook Remove(Lease lease) => this with { Leases = Leases.RemoveAll(l => l.Serial == lease.Serial) };

    public IntentLookup? FindIntent(JournalIntent intent) => UnresolvedIntents.FirstOrDefault(i => i.Intent == intent);

    public LeaseBook WithIntent(IntentLookup lookup)
    {
        var index = UnresolvedIntents.FindIndex(i => i.Intent == lookup.Intent);
        return this with { UnresolvedIntents = index < 0 ? UnresolvedIntents.Add(lookup) : UnresolvedIntents.SetItem(index, lookup) };
    }

    public LeaseBook WithoutIntent(JournalIntent intent) =>
        this with { UnresolvedIntents = UnresolvedIntents.RemoveAll(i => i.Intent == intent) };

    /// <summary>What the agent holds: generates whose answer is not seen, and every lease the server may still hold for it.</summary>
    public JournalDocument ToJournal()
    {
        var intents = Leases
            .Where(l => l is { State: LeaseState.Generating, LeaseId: null })
            .Select(l => new JournalIntent(l.ClientRef, l.Generation))
            .Concat(UnresolvedIntents.Select(i => i.Intent))
            .ToList();
        var leases = Leases
            .Where(l => l.LeaseId is not null && (l.NeedsRevocation || l.State == LeaseState.Revoking))
            .Select(l =>
            {
                var current = l.Serial == (PublishingSerial ?? CurrentSerial) || l.Serial == AdoptingSerial;
                return new JournalLease
                {
                    LeaseId = l.LeaseId!,
                    Generation = l.Generation,
                    Current = current,
                    State = l.State.ToString(),
                    ClientRef = l.ClientRef,

                    // Only the credential that would be adopted is kept: every other lease is only ever revoked.
                    Username = current ? l.Credential?.Username : null,
                    Password = current ? l.Credential?.Password : null,
                    LifetimeSeconds = l.Lifetime?.TotalSeconds,
                    DurationSeconds = l.Grant?.Duration.TotalSeconds,
                };
            })
            .ToList();
        return new JournalDocument { Intents = intents, Leases = leases };
    }
}

/// <summary>The shutdown, as a mode of the supervisor's one loop.</summary>
public enum ShutdownPhase
{
    Running,

    /// <summary><c>REVOKE_DELAY</c>: the app drains on the credential, which is renewed (and rotated) as usual.</summary>
    DelayingRevocation,

    /// <summary>Nothing new starts; probes and renewals are cancelled; a generate in flight may still report its lease id.</summary>
    Draining,

    /// <summary>Every lease held, or found by a doubtful generate's reference, is being revoked, once each.</summary>
    Revoking,

    /// <summary>The loop has ended.</summary>
    Done,
}

/// <summary>
/// Where the look-ups of one doubtful generate stand. The first successful look-up <see cref="Settled"/> it; the one
/// after the settle time resolves it. <see cref="Failures"/> counts failed look-ups in a row.
/// </summary>
public sealed record IntentLookup(JournalIntent Intent, bool Settled = false, int Failures = 0);
