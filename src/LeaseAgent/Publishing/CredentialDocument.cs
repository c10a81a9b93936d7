using System.Text.Json.Serialization;

namespace LeaseAgent.Publishing;

/// <summary>The published credential: the <c>json</c> shape of architecture §5, and the source of every other format.</summary>
public sealed record CredentialDocument
{
    [JsonPropertyName("username")]
    public required string Username { get; init; }

    [JsonPropertyName("password")]
    public required string Password { get; init; }

    [JsonPropertyName("host")]
    public required string Host { get; init; }

    [JsonPropertyName("port")]
    public required int Port { get; init; }

    [JsonPropertyName("database")]
    public required string Database { get; init; }

    [JsonPropertyName("sslmode")]
    public required string SslMode { get; init; }

    [JsonPropertyName("connection_string")]
    public required string ConnectionString { get; init; }

    [JsonPropertyName("uri")]
    public required string Uri { get; init; }

    [JsonPropertyName("lease_id")]
    public required string LeaseId { get; init; }

    [JsonPropertyName("lease_duration_seconds")]
    public required long LeaseDurationSeconds { get; init; }

    [JsonPropertyName("renewable")]
    public required bool Renewable { get; init; }

    [JsonPropertyName("issued_at")]
    public required DateTimeOffset IssuedAt { get; init; }

    [JsonPropertyName("expires_at")]
    public required DateTimeOffset ExpiresAt { get; init; }

    [JsonPropertyName("generation")]
    public required int Generation { get; init; }

    public override string ToString() => $"CredentialDocument {{ Username = {Username}, LeaseId = {LeaseId}, Generation = {Generation} }}";
}
