using System.Text.Json.Serialization;

namespace LeaseAgent.Status;

/// <summary>
/// <c>STATE_DIR/status.json</c>: what the agent is doing, for probes and humans, as <see cref="StatusReporter"/> combines
/// it from the parts. Holds no secret.
/// </summary>
public sealed record AgentStatus
{
    [JsonPropertyName("state")]
    public required AgentState State { get; init; }

    /// <summary>Authenticated, probed and published.</summary>
    [JsonPropertyName("ready")]
    public required bool Ready { get; init; }

    /// <summary>Ready, but the last attempt to renew or replace the credential failed.</summary>
    [JsonPropertyName("degraded")]
    public bool Degraded { get; init; }

    [JsonPropertyName("generation")]
    public int Generation { get; init; }

    [JsonPropertyName("lease_id")]
    public string? LeaseId { get; init; }

    [JsonPropertyName("username")]
    public string? Username { get; init; }

    [JsonPropertyName("expires_at")]
    public DateTimeOffset? ExpiresAt { get; init; }

    [JsonPropertyName("last_error")]
    public string? LastError { get; init; }

    /// <summary>
    /// Each dynamic credential, in configuration order; the fields above are the first one's, but <see cref="Ready"/>
    /// is every one's. Absent with only <c>SECRETS</c>. A list rather than an object keyed by name, which would cost the
    /// agent's binary System.Text.Json's dictionary converters.
    /// </summary>
    [JsonPropertyName("credentials")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<CredentialStatus>? Credentials { get; init; }

    [JsonPropertyName("pid")]
    public int Pid { get; init; }

    [JsonPropertyName("updated_at")]
    public required DateTimeOffset UpdatedAt { get; init; }
}

/// <summary>One credential's entry in <see cref="AgentStatus.Credentials"/>. Holds no secret.</summary>
public sealed record CredentialStatus
{
    /// <summary><c>ENGINE/ROLE</c>, or the <c>name=</c> of its <c>CREDENTIALS</c> line.</summary>
    [JsonPropertyName("name")]
    public required string Name { get; init; }

    [JsonPropertyName("state")]
    public required AgentState State { get; init; }

    /// <summary>This credential is published (or, with <c>FAIL_OPEN</c>, cannot be had), and the agent is not stopping.</summary>
    [JsonPropertyName("ready")]
    public required bool Ready { get; init; }

    [JsonPropertyName("degraded")]
    public bool Degraded { get; init; }

    [JsonPropertyName("generation")]
    public int Generation { get; init; }

    [JsonPropertyName("lease_id")]
    public string? LeaseId { get; init; }

    [JsonPropertyName("username")]
    public string? Username { get; init; }

    [JsonPropertyName("expires_at")]
    public DateTimeOffset? ExpiresAt { get; init; }

    [JsonPropertyName("last_error")]
    public string? LastError { get; init; }
}
