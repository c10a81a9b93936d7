namespace ScaiVault.Emulator.Subscriptions;

/// <summary>A subscription; it belongs to the identity that created it, and nobody else can see, poll, ack or delete it.</summary>
internal sealed record Subscription(
    string Id,
    string IdentityId,
    string Name,
    IReadOnlyList<string> Paths,
    IReadOnlyList<string> EventTypes,
    string DeliveryType,
    DateTimeOffset CreatedAt)
{
    public const string PollingDelivery = "polling";

    public bool Wants(string eventType, string path) =>
        EventTypes.Contains(eventType, StringComparer.Ordinal) && Paths.Any(p => PathGlob.Parse(p).IsMatch(path));
}
