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

        _generation = journal.Leases.Select(l => l.Generation).Concat(journal.Intents.Select(i => i.Generation)).DefaultIfEmpty(0).Max();
        var toAdopt = journal.Leases.FirstOrDefault(l => l is { Current: true, Username: not null, Password: not null });
        foreach (var entry in journal.Leases.Where(l => l != toAdopt))
        {
            var orphan = new Lease(entry.Generation, _time, OnTransition);
            _leases.Add(orphan);
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
    /// A generate that may have minted a lease nobody was told about (its answer never came or could not be used, or
    /// an earlier attempt of it got none; or a previous agent's): the lease is found by the reference sent with it and
    /// revoked. It is looked up at once and, because a server still creating the user when the agent gave up stores the
    /// lease only later, once more after <see cref="IntentSettleTime"/>; a failed look-up is retried with backoff. The
    /// intent stays journalled until then, so the shutdown, or a restart, looks again.
    /// </summary>
    /// <param name="reason">Why the generate is in doubt, for the log; null for a journalled intent (logged on recovery).</param>
    private void TrackIntent(JournalIntent intent, string? reason)
    {
        if (!_intentLookups.TryAdd(intent, new IntentLookup()))
        {
            return;
        }

        _unresolvedIntents.Add(intent);
        if (reason is not null)
        {
            Log.IntentLookingUp(_logger, intent.ClientRef, reason);
        }

        if (!_stopping)
        {
            FindAndRevokeIntent(intent); // the shutdown looks up every unresolved intent itself
        }
    }

    private void OnIntentLookupDue(JournalIntent intent)
    {
        if (!_stopping && _intentLookups.ContainsKey(intent))
        {
            FindAndRevokeIntent(intent);
        }
    }

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
        var lookup = _intentLookups.GetValueOrDefault(intent);
        if (leaseIds is null)
        {
            var (code, _, message) = Describe(error);
            Log.IntentUnresolved(_logger, intent.ClientRef, $"{code}: {message}");
            if (lookup is not null && !_stopping && ++lookup.Failures < MaxRevokeAttempts)
            {
                ScheduleIntentLookup(intent, lookup, ScaiVaultResilience.BackoffAfterFailure(lookup.Failures, error, Random.Shared));
            }

            return;
        }

        foreach (var leaseId in leaseIds.Where(id => _leases.All(l => l.LeaseId != id)))
        {
            var orphan = new Lease(intent.Generation, _time, OnTransition);
            _leases.Add(orphan);
            orphan.Orphan(leaseId, intent.ClientRef);
            Revoke(orphan);
        }

        if (lookup is { Settled: false } && !_stopping)
        {
            lookup.Settled = true;
            lookup.Failures = 0;
            ScheduleIntentLookup(intent, lookup, IntentSettleTime);
            return;
        }

        lookup?.Timer?.Dispose();
        _intentLookups.Remove(intent);
        _unresolvedIntents.Remove(intent);
    }

    private void ScheduleIntentLookup(JournalIntent intent, IntentLookup lookup, TimeSpan due)
    {
        lookup.Timer?.Dispose();
        lookup.Timer = _time.CreateTimer(_ => _events.Writer.TryWrite(new IntentLookupDue(intent)), null, Clamp(due), Timeout.InfiniteTimeSpan);
    }

    /// <summary>Where the look-ups of one intent stand.</summary>
    private sealed class IntentLookup
    {
        /// <summary>Whether the first successful look-up is done; the one after <see cref="IntentSettleTime"/> resolves the intent.</summary>
        public bool Settled { get; set; }

        public int Failures { get; set; }

        public ITimer? Timer { get; set; }
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
