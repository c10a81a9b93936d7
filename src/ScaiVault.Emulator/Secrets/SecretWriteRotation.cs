using System.Text.Json.Nodes;
using ScaiVault.Emulator.Api;

namespace ScaiVault.Emulator.Secrets;

/// <summary>
/// A write marked as a rotation with the emulator's <c>rotation</c> field: what <c>secret.rotated</c> reports about it.
/// ScaiVault rotates through rotation policies; the emulator has none, so the client names one (or gets a fixed one).
/// </summary>
internal sealed record SecretWriteRotation(TimeSpan GracePeriod, string PolicyId, string PolicyName)
{
    /// <summary><c>rotation_policy_id</c> when the write names none (ours).</summary>
    public const string DefaultPolicyId = "rot_emulator";

    /// <summary><c>rotation_policy_name</c> when the write names none (ours).</summary>
    public const string DefaultPolicyName = "emulator";

    public const int MaxPolicyLength = 128;

    public static SecretWriteRotation From(SecretRotation rotation, TimeSpan gracePeriod) => new(
        gracePeriod,
        PolicyText(rotation.PolicyId, "rotation.policy_id") ?? DefaultPolicyId,
        PolicyText(rotation.PolicyName, "rotation.policy_name") ?? DefaultPolicyName);

    private static string? PolicyText(string? text, string field) =>
        text is null || (text.Length is > 0 and <= MaxPolicyLength && !text.Any(char.IsControl))
            ? text
            : throw ApiException.BadRequest(
                ErrorCodes.InvalidRequest,
                $"'{field}' must be 1-{MaxPolicyLength} characters without control characters.",
                new JsonObject { ["field"] = field });
}
