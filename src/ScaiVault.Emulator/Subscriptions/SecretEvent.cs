using System.Text.Json.Nodes;

namespace ScaiVault.Emulator.Subscriptions;

/// <summary>
/// An event about a secret, as the contract's envelope carries it (the tenant is always the emulator's).
/// <paramref name="IdentityId"/> is the identity whose request caused it; <paramref name="RequestId"/> that request's id.
/// </summary>
internal sealed record SecretEvent(
    string Id,
    string Type,
    DateTimeOffset Timestamp,
    string IdentityId,
    string Path,
    JsonObject Data,
    string RequestId);
