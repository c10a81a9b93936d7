using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using ScaiVault.Emulator.Subscriptions;

namespace ScaiVault.Emulator.Secrets;

/// <summary>Who wrote a secret, for the events: the caller's identity and the request id.</summary>
internal sealed record SecretWriteOrigin(string IdentityId, string RequestId);

/// <summary>
/// The events a secret write emits, with the data fields REF-EVT documents for each type. They carry version
/// numbers, identities, the type, tags and policy names, never secret data.
/// </summary>
internal static class SecretEvents
{
    /// <summary>
    /// Version 1: <c>secret.created</c> (a <c>rotation</c> on it is ignored: there is nothing to rotate from).
    /// Later versions: <c>secret.updated</c>, followed by <c>secret.rotated</c> when the write is a rotation,
    /// so that a subscriber to updates alone still hears of every version.
    /// </summary>
    public static IReadOnlyList<SecretEvent> ForWrite(StoredSecret written, SecretWriteOrigin origin, SecretWriteRotation? rotation)
    {
        SecretEvent Event(string type, JsonObject data) =>
            new("evt_" + RandomNumberGenerator.GetHexString(32, lowercase: true), type, written.UpdatedAt, origin.IdentityId, written.Path, data, origin.RequestId);

        if (written.Version == 1)
        {
            return [Event(EventTypes.SecretCreated, new JsonObject
            {
                ["version"] = 1,
                ["secret_type"] = written.SecretType,
                ["created_by"] = origin.IdentityId,
                ["tags"] = Tags(written.Metadata),
                ["expires_at"] = Timestamp(written.ExpiresAt),
            })];
        }

        // Versions are dense (writers of a path are serialised), so the previous one is version - 1.
        var oldVersion = written.Version - 1;
        var updated = Event(EventTypes.SecretUpdated, new JsonObject
        {
            ["old_version"] = oldVersion,
            ["new_version"] = written.Version,
            ["updated_by"] = origin.IdentityId,
            ["is_rotation"] = rotation is not null,
        });
        if (rotation is null)
        {
            return [updated];
        }

        var rotated = Event(EventTypes.SecretRotated, new JsonObject
        {
            ["old_version"] = oldVersion,
            ["new_version"] = written.Version,
            ["rotation_policy_id"] = rotation.PolicyId,
            ["rotation_policy_name"] = rotation.PolicyName,
            ["grace_period_ends"] = Timestamp(written.UpdatedAt + rotation.GracePeriod),

            // A client wrote the new value; ScaiVault's auto_generate policies write it themselves.
            ["auto_generated"] = false,
        });
        return [updated, rotated];
    }

    /// <summary>The string items of <c>metadata.tags</c> (ours: ScaiVault's tags live in the metadata too); none when absent.</summary>
    private static JsonArray Tags(JsonElement metadata)
    {
        var tags = new JsonArray();
        if (metadata.ValueKind == JsonValueKind.Object
            && metadata.TryGetProperty("tags", out var items)
            && items.ValueKind == JsonValueKind.Array)
        {
            foreach (var item in items.EnumerateArray().Where(i => i.ValueKind == JsonValueKind.String))
            {
                tags.Add(item.GetString());
            }
        }

        return tags;
    }

    private static JsonValue? Timestamp(DateTimeOffset? value) => value is { } v ? JsonValue.Create(v.UtcDateTime) : null;
}
