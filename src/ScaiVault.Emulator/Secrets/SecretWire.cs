using System.Text.Json;

namespace ScaiVault.Emulator.Secrets;

/// <summary><c>PUT /v1/secrets/{path}</c> body.</summary>
internal sealed record SecretWriteRequest(JsonElement? Data, string? SecretType, JsonElement? Metadata);

/// <summary><c>GET /v1/secrets/{path}</c> answer: <c>{path, secret_type, version, data, metadata, created_at, updated_at, expires_at}</c>.</summary>
internal sealed record SecretResponse(
    string Path,
    string SecretType,
    int Version,
    JsonElement Data,
    JsonElement Metadata,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    DateTimeOffset? ExpiresAt)
{
    public static SecretResponse From(StoredSecret secret) =>
        new(secret.Path, secret.SecretType, secret.Version, secret.Data, secret.Metadata, secret.CreatedAt, secret.UpdatedAt, secret.ExpiresAt);
}
