using LeaseAgent.Diagnostics;
using LeaseAgent.Postgres;
using LeaseAgent.Publishing;
using LeaseAgent.ScaiVault;
using ScaiVault.Client;

namespace LeaseAgent.Leasing;

public sealed partial class LeaseSupervisor
{
    private void Acquire()
    {
        if (_book.Stopping || _book.Next is not null)
        {
            return;
        }

        var lease = new Lease(_book.Generation + 1, _time, OnTransition);
        _book = _book.Add(lease) with { Generation = lease.Generation, Next = lease };
        lease.StartGenerating();

        // The intent reaches the disk before the request leaves: if the agent dies before the answer, the
        // next one on this volume finds the lease by its client reference and revokes it.
        WriteJournal();
        var deadline = Deadline.From(_time, GenerateRequestBudget);
        var clientRef = lease.ClientRef;
        Start(
            ct => _vault.GenerateAsync(_lease.Ttl, clientRef, deadline, ct),
            (grant, error) => new GenerateCompleted(lease, grant, error),
            _shutdownBudget.Token);
    }

    private void OnGenerated(Lease lease, LeaseGrant? grant, Exception? error)
    {
        if (grant is null)
        {
            var (code, requestId, message) = LeasePolicy.Describe(error);

            // The server may hold a lease although no usable answer came. One it named is revoked at once; every
            // other one minted under this reference (a timed-out attempt, a dropped answer, Polly's retries) is
            // looked up and revoked, independently of the next attempt, and the intent stays journalled meanwhile.
            var unusable = (error as ScaiVaultException)?.LeaseId;
            lease.FailGeneration(unusable);
            if (unusable is not null)
            {
                Log.UnusableGrantRevoked(_logger, unusable, code, message);
            }

            Revoke(lease);
            if (error is not ScaiVaultException { MayHaveTakenEffect: false })
            {
                TrackIntent(new JournalIntent(lease.ClientRef, lease.Generation), code);
            }

            var retryIn = ScaiVaultResilience.BackoffAfterFailure(_book.AcquireFailures, error, Random.Shared);
            _book = _book with { Next = null, LastError = code, AcquireFailures = _book.AcquireFailures + 1 };
            if (_book.Current is not null)
            {
                _metrics.RotationCompleted("failed");
                _book = _book with { Degraded = true };
            }

            Log.AcquireFailed(_logger, code, requestId, message, retryIn.TotalSeconds);
            ScheduleAcquire(retryIn);
            return;
        }

        lease.Issue(grant);
        if (grant.MayHaveTwins)
        {
            TrackIntent(new JournalIntent(lease.ClientRef, lease.Generation), "an earlier attempt got no answer");
        }

        StartProbe(lease);
    }

    private void StartProbe(Lease lease)
    {
        if (_book.Stopping)
        {
            return; // Probing: the shutdown revokes it.
        }

        var credential = lease.Credential!;
        Start(
            ct => _probe.ProbeAsync(credential, ct),
            (result, probeError) => new ProbeCompleted(lease, result, probeError),
            _operations.Token);
    }

    private void OnProbed(Lease lease, ProbeResult? result, Exception? error)
    {
        if (_book.Stopping || lease.State != LeaseState.Probing)
        {
            return;
        }

        if (result is { Passed: true })
        {
            Log.ProbePassed(_logger, lease.Credential!.Username, result.Attempts);
            lease.PassProbe();
            Publish(lease);
            return;
        }

        var failure = result?.Failure.ToString() ?? "ProbeCrashed";
        _metrics.ProbeFailed(failure);
        Log.ProbeFailed(_logger, lease.Credential!.Username, result?.Attempts ?? 0, failure, result?.Error ?? error?.GetType().Name);
        _book = _book with { LastError = "probe_failed" };
        lease.FailProbe();
        if (lease == _book.Adopting)
        {
            // The journalled credential no longer logs in: its user is gone or changed. Start afresh.
            _book = _book with { Adopting = null };
            Log.AdoptionFailed(_logger, lease.LeaseId, "its credential no longer logs in");
        }

        AbandonAndRetry(lease);
    }

    private void Publish(Lease lease)
    {
        // A credential that expires before the app can use it is worse than none: the file would appear and vanish,
        // and its replacement would be minted at once, again and again.
        var timeline = lease.Timeline!;
        var left = timeline.ExpiresIn(_time);
        if (left < Max(MinimumTimeLeftToPublish, timeline.GrantedDuration / 10))
        {
            Log.TooShortToPublish(_logger, lease.LeaseId, left.TotalSeconds, timeline.GrantedDuration.TotalSeconds);
            _book = _book with { LastError = "lease_too_short" };
            lease.FailPublish();
            AbandonAndRetry(lease);
            return;
        }

        var document = CredentialFormatter.CreateDocument(_database, lease.Credential!, lease.Grant!, lease.Generation, _time.GetUtcNow());

        // Write-ahead: the journal names this lease current before the app can see it. An agent killed just
        // after the rename is then followed by one that adopts the credential the app already uses, instead
        // of revoking it as an unpublished leftover and minting another.
        _book = _book with { Publishing = lease };
        WriteJournal();
        try
        {
            _publisher.Publish(document);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidOperationException)
        {
            // InvalidOperationException: the formatter refused a credential it cannot write safely (finding 13's
            // defence in depth behind the parser); that lease is revoked like any other that cannot be published.
            Log.PublishFailed(_logger, _credential.Output.File, e.Message);
            _book = _book with { LastError = "publish_failed" };
            lease.FailPublish();
            AbandonAndRetry(lease);
            return;
        }
        finally
        {
            _book = _book with { Publishing = null };
        }

        lease.MarkPublished();
        var previous = _book.Current;
        if (previous is not null)
        {
            _metrics.RotationCompleted("ok");
        }

        _book = _book with { Current = lease, Next = null, Adopting = null, AcquireFailures = 0, LastError = null, Degraded = false };
        Log.Published(_logger, lease.Generation, lease.Credential!.Username, lease.LeaseId!, timeline.ExpiresIn(_time).TotalSeconds,
            Phrase(timeline.HardEndIn(_time), "its hard end (max TTL) is in {0:0} s", "the server gave it no hard end"));
        ScheduleLeaseTimers(lease);
        if (previous is not null)
        {
            Retire(previous);
        }

        // The app already has the first credential it starts with; it needs telling only about a new user.
        var user = lease.Credential!.Username;
        if (_book.LastPublishedUser is not null && _book.LastPublishedUser != user)
        {
            _reloader.Signal($"generation {lease.Generation} published");
        }

        _book = _book with { LastPublishedUser = user };
    }

    private void AbandonAndRetry(Lease lease)
    {
        if (_book.Current is not null)
        {
            _metrics.RotationCompleted("failed");
            _book = _book with { Degraded = true };
        }

        _book = _book with { Next = null };
        if (lease == _book.Adopting)
        {
            _book = _book with { Adopting = null }; // no longer the journal's current lease: it is being revoked
        }

        Revoke(lease);
        var retryIn = ScaiVaultResilience.BackoffAfterFailure(_book.AcquireFailures, error: null, Random.Shared);
        _book = _book with { AcquireFailures = _book.AcquireFailures + 1 };
        ScheduleAcquire(retryIn);
    }

    private void ScheduleAcquire(TimeSpan delay)
    {
        if (!_book.Stopping)
        {
            _timers.Set(AcquireBackoff.Key, delay);
        }
    }
}
