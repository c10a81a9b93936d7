using LeaseAgent.Diagnostics;
using LeaseAgent.ScaiVault;
using Microsoft.Extensions.Logging;
using ScaiVault.Client;

namespace LeaseAgent.Secrets;

/// <summary>
/// The ids of handled subscription events, acknowledged together at most once per <see cref="Interval"/>. ScaiVault
/// allows 20 subscription operations per identity per minute (RATE), and an ack counts there (at least in the
/// emulator): acking after every handled poll would be refused within a burst of updates. An id whose ack failed
/// (a 429 included) stays pending for the next one; an event never acked only comes again, and handling it twice
/// just reads the secrets once more.
/// </summary>
internal sealed class PendingAcknowledgements(IScaiVaultSubscriptions subscriptions, TimeProvider time, ILogger logger)
{
    /// <summary>
    /// At most 6 acks a minute, leaving most of the 20 for creating and deleting subscriptions (and for other
    /// replicas sharing the identity), and well inside a redelivery timeout such as the emulator's default 30 s.
    /// </summary>
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(10);

    /// <summary>The most ids one ack carries (the emulator's limit; the rest waits for the next).</summary>
    public const int MaxIdsPerAck = 1000;

    private static readonly TimeSpan AckBudget = TimeSpan.FromSeconds(15);

    private readonly List<string> _pending = [];
    private readonly HashSet<string> _known = new(StringComparer.Ordinal);
    private Deadline _notBefore = Deadline.From(time, TimeSpan.Zero);

    public int Count => _pending.Count;

    /// <summary>How long until the pending ids may be acknowledged (zero: now); null when none is pending.</summary>
    public TimeSpan? DueIn
    {
        get
        {
            if (_pending.Count == 0)
            {
                return null;
            }

            var left = _notBefore.Remaining(time);
            return left > TimeSpan.Zero ? left : TimeSpan.Zero;
        }
    }

    /// <summary>Adds the ids of handled events; an id delivered again while still pending is kept once.</summary>
    public void Add(IEnumerable<string> eventIds)
    {
        foreach (var id in eventIds)
        {
            if (_known.Add(id))
            {
                _pending.Add(id);
            }
        }
    }

    /// <summary>Forgets every pending id: they belonged to a subscription that was given up.</summary>
    public void Clear()
    {
        _pending.Clear();
        _known.Clear();
    }

    /// <summary>Acknowledges the pending ids at <paramref name="subscriptionId"/> if <see cref="DueIn"/> is zero; never throws for ScaiVault's answers.</summary>
    public async Task FlushIfDueAsync(string subscriptionId, CancellationToken cancellationToken)
    {
        if (DueIn != TimeSpan.Zero)
        {
            return;
        }

        var batch = _pending.Take(MaxIdsPerAck).ToList();
        try
        {
            await subscriptions.AcknowledgeAsync(subscriptionId, batch, Deadline.From(time, AckBudget), cancellationToken);
            _pending.RemoveRange(0, batch.Count);
            batch.ForEach(id => _known.Remove(id));
            _notBefore = Deadline.From(time, Interval);
            Log.EventsAcknowledged(logger, batch.Count, subscriptionId);
        }
        catch (ScaiVaultException e) when (!e.IsTransient && e.Status is not null)
        {
            // The subscription is gone or refuses these ids: acking them again would fail again. The next poll tells.
            Clear();
            Log.AcknowledgeFailed(logger, batch.Count, e.Code, e.Message, false, 0);
        }
        catch (ScaiVaultException e)
        {
            // Kept for the next ack, after a Retry-After (a 429's) when longer than the interval.
            var wait = e is { RetryAfter: { } retryAfter } && retryAfter > Interval ? retryAfter : Interval;
            wait = wait < ScaiVaultResilience.LongestRetryAfter ? wait : ScaiVaultResilience.LongestRetryAfter;
            _notBefore = Deadline.From(time, wait);
            Log.AcknowledgeFailed(logger, batch.Count, e.Code, e.Message, true, wait.TotalSeconds);
        }
    }

}
