using System.Text.Json;

namespace ScaiVault.Emulator.Subscriptions;

/// <summary><c>POST /v1/subscriptions</c> body.</summary>
internal sealed record SubscriptionRequest(
    string? Name, IReadOnlyList<string?>? Paths, IReadOnlyList<string?>? Events, SubscriptionDelivery? Delivery);

/// <summary><c>{"type": "polling"}</c>: the only delivery the emulator has.</summary>
internal sealed record SubscriptionDelivery(string? Type);

/// <summary>A subscription as create and <c>GET /v1/subscriptions/{id}</c> answer it.</summary>
internal sealed record SubscriptionResponse(
    string Id, string Name, IReadOnlyList<string> Paths, IReadOnlyList<string> Events, SubscriptionDelivery Delivery, DateTimeOffset CreatedAt)
{
    public static SubscriptionResponse From(Subscription subscription) => new(
        subscription.Id,
        subscription.Name,
        subscription.Paths,
        subscription.EventTypes,
        new SubscriptionDelivery(subscription.DeliveryType),
        subscription.CreatedAt);
}

/// <summary><c>GET /v1/subscriptions/{id}/poll</c> answer.</summary>
internal sealed record PollResponse(IReadOnlyList<EventEnvelope> Events, bool HasMore);

/// <summary>The contract's event envelope, exactly.</summary>
internal sealed record EventEnvelope(
    string EventId,
    string EventType,
    DateTimeOffset Timestamp,
    string TenantId,
    string IdentityId,
    string Path,
    JsonElement Data,
    string RequestId);

/// <summary><c>POST /v1/subscriptions/{id}/ack</c> body.</summary>
internal sealed record AckRequest(IReadOnlyList<string?>? EventIds);
