using System.Text.Json;

namespace ScaiVault.Emulator.Secrets;

/// <summary>
/// One version of a static secret. <c>CreatedAt</c> is when version 1 was written; <c>UpdatedAt</c> when this one was;
/// <c>LastAccessedAt</c> when any version was last read through the API (null if never).
/// </summary>
internal sealed record StoredSecret(
    string Path,
    string SecretType,
    int Version,
    JsonElement Data,
    JsonElement Metadata,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    DateTimeOffset? ExpiresAt,
    DateTimeOffset? LastAccessedAt);
