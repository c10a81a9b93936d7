using LeaseAgent.Diagnostics;
using LeaseAgent.ScaiVault;

namespace LeaseAgent.Leasing;

/// <summary>Crash safety: the journal of what this agent holds, and adopting a predecessor's lease on restart.</summary>
public sealed partial class LeaseSupervisor
{
    /// <summary>
    /// Reads the journal a previous agent on this volume left behind: its current lease is adopted (lookup,
    /// renew, probe, publish; no new user), everything else it held or may have held is revoked. Returns
    /// whether a lease is being adopted, in which case nothing new is generated.
    /// </summary>
    private bool Recover()
    {
        var (journal, problem) = _journal.Load();
        if (problem is not null)
        {
            Log.JournalUnreadable(_logger, _journal.Path, problem);
        }

        if (journal.IsEmpty)
        {
            return false;
        }

        _generation = journal.Leases.Select(l => l.Generation).Concat(journal.Intents.Select(i => i.Generation)).DefaultIfEmpty(0).Max();
        var toAdopt = journal.Leases.FirstOrDefault(l => l is { Current: true, Username: not null, Password: not null });
        foreach (var entry in journal.Leases.Where(l => l != toAdopt))
        {
            var orphan = new Lease(entry.Generation, _time, OnTransition);
            _leases.Add(orphan);
            orphan.Orphan(entry.LeaseId, entry.ClientRef);
            Revoke(orphan);
        }

        _unresolvedIntents.AddRange(journal.Intents);
        foreach (var intent in journal.Intents)
        {
            FindAndRevokeIntent(intent);
        }

        Log.JournalRecovered(_logger, toAdopt?.LeaseId ?? "none", journal.Leases.Count - (toAdopt is null ? 0 : 1), journal.Intents.Count);
        if (toAdopt is null)
        {
            WriteJournal();
            return false;
        }

        var lease = new Lease(toAdopt.Generation, _time, OnTransition);
        _leases.Add(lease);
        _next = lease;
        _adopting = lease;
        lease.Adopt(
            toAdopt.LeaseId,
            new DatabaseCredential(toAdopt.Username!, toAdopt.Password!),
            toAdopt.LifetimeSeconds is { } seconds ? TimeSpan.FromSeconds(seconds) : null);
        WriteJournal();

        var leaseId = toAdopt.LeaseId;
        var increment = _lease.Ttl ?? (toAdopt.DurationSeconds is { } d ? TimeSpan.FromSeconds(d) : null);
        var deadline = _time.GetTimestamp() + Ticks(GenerateRequestBudget);
        Start(
            async ct =>
            {
                // Lookup first: renewing a lease the server has forgotten is a 404 either way, but lookup
                // also tells the duration to ask for when none is configured or journalled.
                var found = await _vault.LookupAsync(leaseId, deadline, ct);
                return await _vault.RenewAsync(leaseId, increment ?? found.Duration, deadline, ct);
            },
            (grant, error) => new AdoptCompleted(lease, grant, error),
            _operations.Token);
        return true;
    }

    private void OnAdopted(Lease lease, LeaseGrant? grant, Exception? error)
    {
        if (lease.State != LeaseState.Adopting)
        {
            return;
        }

        if (grant is not null)
        {
            lease.Issue(grant);
            StartProbe(lease);
            return;
        }

        var (code, _, message) = Describe(error);
        Log.AdoptionFailed(_logger, lease.LeaseId, $"{code}: {message}");
        lease.FailAdoption();
        _adopting = null;
        _next = null;
        Revoke(lease);
        Acquire();
    }

    /// <summary>
    /// A generate whose answer was never seen: find the lease by the reference sent with it and revoke it.
    /// The intent stays journalled until that is done, so a later restart or the shutdown tries again.
    /// </summary>
    private void FindAndRevokeIntent(JournalIntent intent)
    {
        var deadline = _time.GetTimestamp() + Ticks(RevokeRequestBudget);
        Start(
            ct => _vault.FindByClientRefAsync(intent.ClientRef, deadline, ct),
            (ids, error) => new IntentResolved(intent, ids, error),
            _operations.Token);
    }

    private void OnIntentResolved(JournalIntent intent, IReadOnlyList<string>? leaseIds, Exception? error)
    {
        if (leaseIds is null)
        {
            var (code, _, message) = Describe(error);
            Log.IntentUnresolved(_logger, intent.ClientRef, $"{code}: {message}");
            return;
        }

        _unresolvedIntents.Remove(intent);
        foreach (var leaseId in leaseIds.Where(id => _leases.All(l => l.LeaseId != id)))
        {
            var orphan = new Lease(intent.Generation, _time, OnTransition);
            _leases.Add(orphan);
            orphan.Orphan(leaseId, intent.ClientRef);
            Revoke(orphan);
        }
    }

    /// <summary>Writes what the agent holds: intents in flight, and every lease the server may still hold for it.</summary>
    private void WriteJournal()
    {
        var intents = _leases
            .Where(l => l is { State: LeaseState.Generating, LeaseId: null })
            .Select(l => new JournalIntent(l.ClientRef, l.Generation))
            .Concat(_unresolvedIntents)
            .ToList();
        var leases = _leases
            .Where(l => l.LeaseId is not null && (l.NeedsRevocation || l.State == LeaseState.Revoking))
            .Select(l =>
            {
                var current = l == (_publishing ?? _current) || l == _adopting;
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

        try
        {
            _journal.Write(new JournalDocument { Intents = intents, Leases = leases });
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Log.JournalWriteFailed(_logger, e.Message);
        }
    }
}
