using LeaseAgent.Diagnostics;
using LeaseAgent.ScaiVault;
using ScaiVault.Client;

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

        _book = _book with { Generation = journal.Leases.Select(l => l.Generation).Concat(journal.Intents.Select(i => i.Generation)).DefaultIfEmpty(0).Max() };
        var toAdopt = journal.Leases.FirstOrDefault(l => l is { Current: true, Username: not null, Password: not null });
        foreach (var entry in journal.Leases.Where(l => l != toAdopt))
        {
            var orphan = new Lease(entry.Generation, _time, OnTransition);
            _book = _book.Add(orphan);
            orphan.Orphan(entry.LeaseId, entry.ClientRef);
            Revoke(orphan);
        }

        foreach (var intent in journal.Intents)
        {
            TrackIntent(intent, reason: null);
        }

        Log.JournalRecovered(_logger, toAdopt?.LeaseId ?? "none", journal.Leases.Count - (toAdopt is null ? 0 : 1), journal.Intents.Count);
        if (toAdopt is null)
        {
            WriteJournal();
            return false;
        }

        var lease = new Lease(toAdopt.Generation, _time, OnTransition);
        _book = _book.Add(lease) with { Next = lease, Adopting = lease };
        lease.Adopt(
            toAdopt.LeaseId,
            new DatabaseCredential(toAdopt.Username!, toAdopt.Password!),
            toAdopt.LifetimeSeconds is { } seconds ? TimeSpan.FromSeconds(seconds) : null);
        WriteJournal();

        var leaseId = toAdopt.LeaseId;
        var increment = _lease.Ttl ?? (toAdopt.DurationSeconds is { } d ? TimeSpan.FromSeconds(d) : null);
        var deadline = Deadline.From(_time, GenerateRequestBudget);
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

        var (code, _, message) = LeasePolicy.Describe(error);
        Log.AdoptionFailed(_logger, lease.LeaseId, $"{code}: {message}");
        lease.FailAdoption();
        _book = _book with { Adopting = null, Next = null };
        Revoke(lease);
        Acquire();
    }

    /// <summary>A generate that may have minted a lease nobody was told about: see <see cref="LeasePolicy.TrackIntent"/>.</summary>
    /// <param name="reason">Why the generate is in doubt, for the log; null for a journalled intent (logged on recovery).</param>
    private void TrackIntent(JournalIntent intent, string? reason) => Execute(LeasePolicy.TrackIntent(_book, intent, reason));

    private void FindAndRevokeIntent(JournalIntent intent)
    {
        var deadline = Deadline.From(_time, RevokeRequestBudget);
        Start(
            ct => _vault.FindByClientRefAsync(intent.ClientRef, deadline, ct),
            (ids, error) => new IntentResolved(intent, ids, error),
            ServerRequestToken);
    }

    /// <summary>Writes what the agent holds: intents in flight, and every lease the server may still hold for it.</summary>
    private void WriteJournal()
    {
        try
        {
            _journal.Write(_book.ToJournal());
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Log.JournalWriteFailed(_logger, e.Message);
        }
    }
}
