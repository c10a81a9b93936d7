using System.Text.Json;

namespace ScaiVault.Emulator.Secrets;

/// <summary><c>PUT /v1/secrets/{path}</c> body; <c>rotation</c> is the emulator's own (see <see cref="SecretRotation"/>).</summary>
internal sealed record SecretWriteRequest(JsonElement? Data, string? SecretType, JsonElement? Metadata, SecretRotation? Rotation);

/// <summary>
/// Emulator extension of the write: <c>"rotation": {"grace_period": "5m", "policy_id": "rot_quarterly", "policy_name": "quarterly"}</c>
/// marks the new version as a rotation, which emits <c>secret.rotated</c> (besides <c>secret.updated</c> with
/// <c>is_rotation: true</c>) with <c>grace_period_ends</c> = write time + grace period (default 0) and the named policy
/// (default <see cref="SecretWriteRotation.DefaultPolicyId"/>).
/// </summary>
internal sealed record SecretRotation(string? GracePeriod, string? PolicyId, string? PolicyName);

/// <summary>
/// <c>GET /v1/secrets/{path}</c> answer, with every field core-concepts/secrets lists. The emulator has no
/// rotation or secret policies, so <c>rotation_policy_id</c> and <c>secret_policy_id</c> are null.
/// </summary>
internal sealed record SecretResponse(
    string Path,
    string SecretType,
    int Version,
    JsonElement Data,
    JsonElement Metadata,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    DateTimeOffset? ExpiresAt,
    DateTimeOffset? LastAccessedAt,
    string? RotationPolicyId,
    string? SecretPolicyId)
{
    public static SecretResponse From(StoredSecret secret) =>
        new(
            secret.Path,
            secret.SecretType,
            secret.Version,
            secret.Data,
            SecretMetadata.ForAnswer(secret.Metadata),
            secret.CreatedAt,
            secret.UpdatedAt,
            secret.ExpiresAt,
            secret.LastAccessedAt,
            RotationPolicyId: null,
            SecretPolicyId: null);
}
