using System.Text.Json.Serialization;

namespace ScaiVault.CsiProvider.Mounting;

/// <summary>One entry of <c>csi.storage.k8s.io/serviceAccount.tokens</c>, as the kubelet writes it.</summary>
internal sealed class TokenEntry
{
    [JsonPropertyName("token")]
    public string? Token { get; set; }

    [JsonPropertyName("expirationTimestamp")]
    public string? ExpirationTimestamp { get; set; }
}

/// <summary>The JSON of a Mount request, source-generated for Native AOT.</summary>
[JsonSerializable(typeof(Dictionary<string, string>))]
[JsonSerializable(typeof(Dictionary<string, TokenEntry>))]
internal sealed partial class MountJsonContext : JsonSerializerContext;
