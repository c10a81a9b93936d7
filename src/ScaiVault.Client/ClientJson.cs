using System.Text.Json.Serialization;

namespace ScaiVault.Client;

internal sealed record ExchangeRequest(
    [property: JsonPropertyName("subject_token")] string SubjectToken,
    [property: JsonPropertyName("subject_token_type")] string SubjectTokenType);

/// <summary>The exchange's answer, and the same OAuth token response from the agent's client-credentials token URL.</summary>
internal sealed record ExchangeResponse(
    [property: JsonPropertyName("access_token")] string? AccessToken,
    [property: JsonPropertyName("expires_in")] double? ExpiresIn);

/// <summary>Source-generated serialization: both executables are Native AOT and use no reflection.</summary>
[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(ExchangeRequest))]
[JsonSerializable(typeof(ExchangeResponse))]
internal sealed partial class ClientJsonContext : JsonSerializerContext;
