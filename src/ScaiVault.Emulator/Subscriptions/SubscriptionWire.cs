using System.Text.Json;

namespace ScaiVault.Emulator.Subscriptions;

/// <summary><c>POST /v1/subscriptions</c> body.</summary>
internal sealed record SubscriptionRequest(
    string? Name, IReadOnlyList<string?>? Paths, IReadOnlyList<string?>? Events, SubscriptionDelivery? Delivery);

/// <summary><c>{"type": "polling"}</c>: the only delivery the emulator has.</summary>
internal sealed record SubscriptionDelivery(string? Type);

/// <summary>
/// A subscription as create and <c>GET /v1/subscriptions/{id}</c> answer it: the documented <c>id</c>, <c>name</c>,
/// <c>status</c> and <c>identity_id</c> (the owner), then what was asked for.
/// </summary>
internal sealed record SubscriptionResponse(
    string Id,
    string Name,
    string Status,
    string IdentityId,
    IReadOnlyList<string> Paths,
    IReadOnlyList<string> Events,
    SubscriptionDelivery Delivery,
    DateTimeOffset CreatedAt)
{
    /// <summary>The only status: the emulator has no paused or failing subscriptions (a deleted one is gone).</summary>
    public const string ActiveStatus = "active";

    public static SubscriptionResponse From(Subscription subscription) => new(
        subscription.Id,
        subscription.Name,
        ActiveStatus,
        subscription.IdentityId,
        subscription.Paths,
        subscription.EventTypes,
        new SubscriptionDelivery(subscription.DeliveryType),
        subscription.CreatedAt);
}

/// <summary><c>GET /v1/subscriptions/{id}/poll</c> query: <c>timeout</c>, <c>since_event_id</c>, <c>max_events</c>.</summary>
internal sealed record PollQuery(TimeSpan Timeout, string? SinceEventId, int MaxEvents);

/// <summary><c>GET /v1/subscriptions/{id}/poll</c> answer.</summary>
internal sealed record PollResponse(IReadOnlyList<EventEnvelope> Events, bool HasMore);

/// <summary>The documented event envelope (REF-EVT), every field; <c>partner_id</c> is always null: the emulator has no partners.</summary>
internal sealed record EventEnvelope(
    string EventId,
    string EventType,
    DateTimeOffset Timestamp,
    string TenantId,
    string? PartnerId,
    string IdentityId,
    string Path,
    JsonElement Data,
    string RequestId);

/// <summary><c>POST /v1/subscriptions/{id}/ack</c> body.</summary>
internal sealed record AckRequest(IReadOnlyList<string?>? EventIds);
