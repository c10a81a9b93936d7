using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using ScaiVault.Emulator.Auth;
using ScaiVault.Emulator.Dynamic;
using ScaiVault.Emulator.Faults;
using ScaiVault.Emulator.Hosting;
using ScaiVault.Emulator.Leases;
using ScaiVault.Emulator.Secrets;
using ScaiVault.Emulator.Subscriptions;

namespace ScaiVault.Emulator.Api;

/// <summary>Source-generated JSON for every wire type: snake_case names, UTC timestamps with a <c>Z</c>.</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    Converters = [typeof(UtcTimestampConverter)])]
[JsonSerializable(typeof(ErrorEnvelope))]
[JsonSerializable(typeof(HealthResponse))]
[JsonSerializable(typeof(ReadinessResponse))]
[JsonSerializable(typeof(ExchangeRequest))]
[JsonSerializable(typeof(AccessTokenResponse))]
[JsonSerializable(typeof(WhoAmIResponse))]
[JsonSerializable(typeof(OAuthErrorResponse))]
[JsonSerializable(typeof(DevTokenRequest))]
[JsonSerializable(typeof(DevTokenResponse))]
[JsonSerializable(typeof(JwksDocument))]
[JsonSerializable(typeof(SecretWriteRequest))]
[JsonSerializable(typeof(SecretResponse))]
[JsonSerializable(typeof(EngineRequest))]
[JsonSerializable(typeof(EnginePatchRequest))]
[JsonSerializable(typeof(EngineResponse))]
[JsonSerializable(typeof(EngineHealthResponse))]
[JsonSerializable(typeof(RoleRequest))]
[JsonSerializable(typeof(RoleResponse))]
[JsonSerializable(typeof(GenerateRequest))]
[JsonSerializable(typeof(RenewRequest))]
[JsonSerializable(typeof(LeaseResponse))]
[JsonSerializable(typeof(LeaseListResponse))]
[JsonSerializable(typeof(FaultRequest))]
[JsonSerializable(typeof(FaultListResponse))]
[JsonSerializable(typeof(SubscriptionRequest))]
[JsonSerializable(typeof(SubscriptionResponse))]
[JsonSerializable(typeof(PollResponse))]
[JsonSerializable(typeof(AckRequest))]
internal sealed partial class EmulatorJsonContext : JsonSerializerContext;

/// <summary>The context the API serialises with: as generated, but without escaping quotes and apostrophes (SQL in role bodies stays readable).</summary>
internal static class Wire
{
    public static EmulatorJsonContext Json { get; } = new(new JsonSerializerOptions
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        Converters = { new UtcTimestampConverter() },
    });
}
