using System.Security.Cryptography;
using ScaiVault.Emulator.Api;
using ScaiVault.Emulator.Auth;
using ScaiVault.Emulator.Hosting;

namespace ScaiVault.Emulator.Subscriptions;

/// <summary>Creates, reads and deletes subscriptions, and serves their long polls and acks.</summary>
internal sealed partial class SubscriptionService(
    SubscriptionStore store,
    SubscriptionSignals signals,
    EmulatorOptions options,
    TimeProvider time,
    IHostApplicationLifetime lifetime,
    ILogger<SubscriptionService> logger)
{
    /// <summary>The most events one poll hands out unless it asks otherwise (<c>max_events</c>, REF-SUB's default); <c>has_more</c> tells the client to poll again at once.</summary>
    public const int MaxEventsPerPoll = 100;

    /// <summary>The largest <c>max_events</c> a poll may ask for (ours: ScaiVault documents only the default, 100).</summary>
    public const int MaxEventsLimit = 1000;

    public const int MaxNameLength = 128;
    public const int MaxPaths = 100;
    public const int MaxAckIds = 1000;

    public async Task<Subscription> CreateAsync(Caller caller, SubscriptionRequest body, CancellationToken cancellationToken)
    {
        var name = body.Name?.Trim() ?? "";
        if (name.Length is 0 or > MaxNameLength || name.Any(char.IsControl))
        {
            throw ApiException.Validation("name", $"'name' is required: 1-{MaxNameLength} characters without control characters.");
        }

        var subscription = new Subscription(
            "sub_" + RandomNumberGenerator.GetHexString(32, lowercase: true),
            caller.IdentityId,
            name,
            ValidatePaths(body.Paths),
            ValidateEventTypes(body.Events),
            ValidateDelivery(body.Delivery),
            time.UtcNowMs());
        await store.InsertAsync(subscription, cancellationToken);
        LogCreated(logger, subscription.Id, caller.IdentityId, subscription.Paths, subscription.EventTypes);
        return subscription;
    }

    public async Task<Subscription> GetAsync(Caller caller, string id, CancellationToken cancellationToken)
    {
        var subscription = await store.GetAsync(id, cancellationToken);

        // Someone else's subscription looks like an unknown one, as someone else's lease does.
        return subscription is not null && subscription.IdentityId == caller.IdentityId
            ? subscription
            : throw ApiException.NotFound(ErrorCodes.SubscriptionNotFound, $"No subscription '{id}'.");
    }

    public async Task DeleteAsync(Caller caller, string id, CancellationToken cancellationToken)
    {
        await GetAsync(caller, id, cancellationToken);
        if (!await store.DeleteAsync(id, cancellationToken))
        {
            throw ApiException.NotFound(ErrorCodes.SubscriptionNotFound, $"No subscription '{id}'.");
        }

        // Parked polls wake, find nothing and end at their deadline like any empty poll.
        signals.Notify([id]);
        LogDeleted(logger, id, caller.IdentityId);
    }

    /// <summary>
    /// Answers at once when events are due (after <see cref="PollQuery.SinceEventId"/>, at most
    /// <see cref="PollQuery.MaxEvents"/>); otherwise waits until one is written, until an event handed out
    /// earlier and not acked becomes due again, or until <see cref="PollQuery.Timeout"/> (then with no events).
    /// Emulator shutdown ends the wait early, with what there is.
    /// </summary>
    public async Task<ClaimedEvents> PollAsync(Caller caller, string id, PollQuery query, CancellationToken cancellationToken)
    {
        await GetAsync(caller, id, cancellationToken);
        var after = 0L;
        if (query.SinceEventId is { } since)
        {
            // An id this subscription never had is a client mistake (another subscription's cursor, a typo): delivering
            // everything instead would hand out again what the client believes it has seen.
            after = await store.PositionOfAsync(id, since, cancellationToken)
                ?? throw ApiException.Validation("since_event_id", $"'since_event_id': subscription '{id}' has no event '{Truncated(since)}'.");
        }

        var deadline = time.GetUtcNow() + query.Timeout;
        using var waitEnds = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, lifetime.ApplicationStopping);
        while (true)
        {
            // Taken before looking: an event committed between the look and the wait still wakes this poll.
            var nextEvent = signals.NextEvent(id);
            var now = time.UtcNowMs();
            var claimed = await store.ClaimAsync(id, now, now + options.SubscriptionRedelivery, query.MaxEvents, after, cancellationToken);
            var remaining = deadline - time.GetUtcNow();
            if (claimed.Events.Count > 0 || remaining <= TimeSpan.Zero || waitEnds.IsCancellationRequested)
            {
                if (claimed.Events.Count > 0)
                {
                    LogDelivered(logger, id, claimed.Events.Count, claimed.HasMore);
                }

                return claimed;
            }

            var wait = claimed.NextVisibleAt is { } due && due - now < remaining ? due - now : remaining;
            await signals.WaitAsync(id, nextEvent, Max(wait, TimeSpan.FromMilliseconds(1)), time, waitEnds.Token);
            cancellationToken.ThrowIfCancellationRequested();
        }
    }

    public async Task AckAsync(Caller caller, string id, AckRequest body, CancellationToken cancellationToken)
    {
        if (body.EventIds is not { } eventIds)
        {
            throw ApiException.Validation("event_ids", "'event_ids' is required: the ids of the delivered events to acknowledge.");
        }

        if (eventIds.Count > MaxAckIds)
        {
            throw ApiException.Validation("event_ids", $"'event_ids' may hold at most {MaxAckIds} ids per request.");
        }

        if (eventIds.Any(string.IsNullOrWhiteSpace))
        {
            throw ApiException.Validation("event_ids", "'event_ids' must hold event ids, not null or empty strings.");
        }

        await GetAsync(caller, id, cancellationToken);
        var acked = await store.AckAsync(id, [.. eventIds.Select(e => e!)], time.UtcNowMs(), cancellationToken);
        LogAcked(logger, id, acked, eventIds.Count);
    }

    private static List<string> ValidatePaths(IReadOnlyList<string?>? paths)
    {
        if (paths is null or { Count: 0 })
        {
            throw ApiException.Validation("paths", "'paths' needs at least one path glob, such as \"apps/*/db\" or \"infra/**\".");
        }

        if (paths.Count > MaxPaths)
        {
            throw ApiException.Validation("paths", $"'paths' may hold at most {MaxPaths} globs.");
        }

        var globs = new List<string>();
        for (var i = 0; i < paths.Count; i++)
        {
            if (!PathGlob.TryParse(paths[i], out var glob, out var problem))
            {
                throw ApiException.Validation("paths", $"'paths[{i}]' is not a path glob: {problem}.");
            }

            if (!globs.Contains(glob!.Pattern, StringComparer.Ordinal))
            {
                globs.Add(glob.Pattern);
            }
        }

        return globs;
    }

    private static List<string> ValidateEventTypes(IReadOnlyList<string?>? events)
    {
        if (events is null or { Count: 0 })
        {
            throw ApiException.Validation("events", $"'events' needs at least one event type: {string.Join(", ", EventTypes.All)}.");
        }

        var unknown = events.FirstOrDefault(e => !EventTypes.All.Contains(e, StringComparer.Ordinal));
        if (unknown is not null || events.Contains(null))
        {
            throw ApiException.Validation(
                "events", $"'events' has an unknown event type{(unknown is null ? "" : $" '{Truncated(unknown)}'")}; the types are {string.Join(", ", EventTypes.All)}.");
        }

        return [.. events.Select(e => e!).Distinct(StringComparer.Ordinal)];
    }

    private static string ValidateDelivery(SubscriptionDelivery? delivery) =>
        delivery is null || delivery.Type == Subscription.PollingDelivery
            ? Subscription.PollingDelivery
            : throw ApiException.Validation(
                "delivery.type", $"'delivery.type' must be '{Subscription.PollingDelivery}': the emulator delivers events only to polls, never to webhooks.");

    private static string Truncated(string text) => text.Length <= 64 ? text : text[..64] + "…";

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;

    [LoggerMessage(EventId = 800, Level = LogLevel.Information,
        Message = "Subscription {SubscriptionId} created by {Identity}: paths {Paths}, events {EventTypes}")]
    private static partial void LogCreated(
        ILogger logger, string subscriptionId, string identity, IReadOnlyList<string> paths, IReadOnlyList<string> eventTypes);

    [LoggerMessage(EventId = 801, Level = LogLevel.Information, Message = "Subscription {SubscriptionId} deleted by {Identity}")]
    private static partial void LogDeleted(ILogger logger, string subscriptionId, string identity);

    [LoggerMessage(EventId = 802, Level = LogLevel.Debug, Message = "Subscription {SubscriptionId}: {Count} event(s) delivered, more due: {HasMore}")]
    private static partial void LogDelivered(ILogger logger, string subscriptionId, int count, bool hasMore);

    [LoggerMessage(EventId = 803, Level = LogLevel.Debug, Message = "Subscription {SubscriptionId}: {Acked} of {Given} event id(s) acked")]
    private static partial void LogAcked(ILogger logger, string subscriptionId, int acked, int given);
}
