using System.Text.Json.Serialization;

namespace LeaseAgent.ScaiVault;

/// <param name="ClientRef">Ours: a random reference stored on the lease, so a lease whose answer was lost can be found.</param>
internal sealed record GenerateRequest(
    [property: JsonPropertyName("ttl")] string? Ttl,
    [property: JsonPropertyName("client_ref")] string? ClientRef);

internal sealed record RenewRequest([property: JsonPropertyName("increment")] string Increment);

internal sealed record SubscriptionDelivery([property: JsonPropertyName("type")] string Type);

internal sealed record SubscribeRequest(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("paths")] IReadOnlyList<string> Paths,
    [property: JsonPropertyName("events")] IReadOnlyList<string> Events,
    [property: JsonPropertyName("delivery")] SubscriptionDelivery Delivery);

internal sealed record AcknowledgeRequest([property: JsonPropertyName("event_ids")] IReadOnlyList<string> EventIds);

/// <summary>Source-generated serialization: the agent is Native AOT and uses no reflection.</summary>
[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(GenerateRequest))]
[JsonSerializable(typeof(RenewRequest))]
[JsonSerializable(typeof(SubscribeRequest))]
[JsonSerializable(typeof(AcknowledgeRequest))]
internal sealed partial class ScaiVaultJsonContext : JsonSerializerContext;
