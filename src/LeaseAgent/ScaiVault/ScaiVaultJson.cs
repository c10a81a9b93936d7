using System.Text.Json.Serialization;

namespace LeaseAgent.ScaiVault;

internal sealed record ExchangeRequest(
    [property: JsonPropertyName("subject_token")] string SubjectToken,
    [property: JsonPropertyName("subject_token_type")] string SubjectTokenType);

internal sealed record ExchangeResponse(
    [property: JsonPropertyName("access_token")] string? AccessToken,
    [property: JsonPropertyName("expires_in")] double? ExpiresIn);

internal sealed record GenerateRequest([property: JsonPropertyName("ttl")] string Ttl);

internal sealed record RenewRequest([property: JsonPropertyName("increment")] string Increment);

internal sealed record ErrorEnvelope([property: JsonPropertyName("error")] ErrorBody? Error);

internal sealed record ErrorBody(
    [property: JsonPropertyName("code")] string? Code,
    [property: JsonPropertyName("message")] string? Message,
    [property: JsonPropertyName("request_id")] string? RequestId);

/// <summary>Source-generated serialization: the agent is Native AOT and uses no reflection.</summary>
[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(ExchangeRequest))]
[JsonSerializable(typeof(ExchangeResponse))]
[JsonSerializable(typeof(GenerateRequest))]
[JsonSerializable(typeof(RenewRequest))]
[JsonSerializable(typeof(ErrorEnvelope))]
internal sealed partial class ScaiVaultJsonContext : JsonSerializerContext;
