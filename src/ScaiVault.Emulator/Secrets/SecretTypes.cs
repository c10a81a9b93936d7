using System.Text.Json.Nodes;
using ScaiVault.Emulator.Api;

namespace ScaiVault.Emulator.Secrets;

/// <summary>
/// <c>secret_type</c>: "One of kv, json, certificate, ssh_key, api_key" (core-concepts/secrets); anything
/// else is <c>400 invalid_secret_type</c> (reference/error-codes). A hint to consumers, not a schema:
/// the data is never checked against the type.
/// </summary>
internal static class SecretTypes
{
    /// <summary>When a write names none (our choice): <c>data</c> is always a JSON object, which is what <c>json</c> means.</summary>
    public const string Default = "json";

    public static readonly IReadOnlyList<string> All = ["kv", "json", "certificate", "ssh_key", "api_key"];

    /// <summary>The type to store: <paramref name="requested"/> when it is a documented one, the default when absent.</summary>
    public static string Validate(string? requested) =>
        requested is null ? Default
        : All.Contains(requested, StringComparer.Ordinal) ? requested
        : throw ApiException.BadRequest(
            ErrorCodes.InvalidSecretType,
            $"'secret_type' must be one of {string.Join(", ", All)}.",
            new JsonObject { ["field"] = "secret_type", ["allowed"] = new JsonArray([.. All.Select(t => JsonValue.Create(t))]) });
}
