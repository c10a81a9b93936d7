namespace ScaiVault.Emulator.Subscriptions;

/// <summary>
/// Wakes long polls when events for their subscription have been committed, so that a poll
/// returns as soon as there is something to deliver instead of querying in a loop. In memory:
/// a poll that starts after a restart finds the stored events by itself.
/// </summary>
internal sealed class SubscriptionSignals
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, TaskCompletionSource> _nextEvent = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _waitingPolls = new(StringComparer.Ordinal);

    /// <summary>
    /// A task that completes at the next <see cref="Notify"/> of the subscription. A poll takes it
    /// before it looks for events, so that an event committed between its look and its wait still wakes it.
    /// </summary>
    public Task NextEvent(string subscriptionId)
    {
        lock (_gate)
        {
            if (!_nextEvent.TryGetValue(subscriptionId, out var source))
            {
                // Asynchronous continuations: the writer that notifies must not run the woken polls on its own thread.
                source = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                _nextEvent[subscriptionId] = source;
            }

            return source.Task;
        }
    }

    /// <summary>Wakes the polls of these subscriptions; call it after the transaction that wrote their events has committed.</summary>
    public void Notify(IEnumerable<string> subscriptionIds)
    {
        foreach (var id in subscriptionIds)
        {
            TaskCompletionSource? source;
            lock (_gate)
            {
                _nextEvent.Remove(id, out source);
            }

            source?.TrySetResult();
        }
    }

    /// <summary>Waits for <paramref name="nextEvent"/> at most <paramref name="timeout"/>; returns early, without throwing, when cancelled.</summary>
    public async Task WaitAsync(string subscriptionId, Task nextEvent, TimeSpan timeout, TimeProvider time, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            _waitingPolls[subscriptionId] = _waitingPolls.GetValueOrDefault(subscriptionId) + 1;
        }

        try
        {
            await nextEvent.WaitAsync(timeout, time, cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
        finally
        {
            lock (_gate)
            {
                var left = _waitingPolls[subscriptionId] - 1;
                if (left == 0)
                {
                    _waitingPolls.Remove(subscriptionId);
                }
                else
                {
                    _waitingPolls[subscriptionId] = left;
                }
            }
        }
    }

    /// <summary>How many polls of the subscription are parked waiting right now (tests use it to write while a poll waits).</summary>
    public int WaitingPolls(string subscriptionId)
    {
        lock (_gate)
        {
            return _waitingPolls.GetValueOrDefault(subscriptionId);
        }
    }
}
