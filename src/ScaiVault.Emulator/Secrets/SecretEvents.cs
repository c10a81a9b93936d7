using System.Security.Cryptography;
using System.Text.Json.Nodes;
using ScaiVault.Emulator.Subscriptions;

namespace ScaiVault.Emulator.Secrets;

/// <summary>Who wrote a secret, for the events: the caller's identity and the request id.</summary>
internal sealed record SecretWriteOrigin(string IdentityId, string RequestId);

/// <summary>The events a secret write emits. They carry version numbers, never secret data.</summary>
internal static class SecretEvents
{
    /// <summary>
    /// Version 1: <c>secret.created</c> (a <c>rotation</c> on it is ignored: there is nothing to rotate from).
    /// Later versions: <c>secret.updated</c>, followed by <c>secret.rotated</c> when the write is a rotation,
    /// so that a subscriber to updates alone still hears of every version.
    /// </summary>
    public static IReadOnlyList<SecretEvent> ForWrite(StoredSecret written, SecretWriteOrigin origin, TimeSpan? rotationGracePeriod)
    {
        SecretEvent Event(string type, JsonObject data) =>
            new("evt_" + RandomNumberGenerator.GetHexString(32, lowercase: true), type, written.UpdatedAt, origin.IdentityId, written.Path, data, origin.RequestId);

        if (written.Version == 1)
        {
            return [Event(EventTypes.SecretCreated, new JsonObject { ["version"] = 1 })];
        }

        // Versions are dense (writers of a path are serialised), so the previous one is version - 1.
        var oldVersion = written.Version - 1;
        var updated = Event(EventTypes.SecretUpdated, new JsonObject { ["old_version"] = oldVersion, ["new_version"] = written.Version });
        if (rotationGracePeriod is not { } gracePeriod)
        {
            return [updated];
        }

        var rotated = Event(EventTypes.SecretRotated, new JsonObject
        {
            ["old_version"] = oldVersion,
            ["new_version"] = written.Version,
            ["grace_period_ends"] = JsonValue.Create((written.UpdatedAt + gracePeriod).UtcDateTime),
        });
        return [updated, rotated];
    }
}
