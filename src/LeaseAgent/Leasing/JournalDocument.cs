using System.Text.Json.Serialization;

namespace LeaseAgent.Leasing;

/// <summary>
/// One credential's section of <c>STATE_DIR/journal.json</c>: what its supervisor holds or may hold at the server,
/// so that a restarted agent adopts its current lease and revokes everything else. It holds the current credential
/// (mode 0600 in the agent's 0700 directory on the same in-memory volume as the published file): adopting a lease
/// whose file was lost needs the password, and the server never returns it twice.
/// </summary>
public sealed record JournalDocument
{
    /// <summary>In the file only: which credential the section is of (<see cref="JournalFile.Credentials"/>).</summary>
    [JsonPropertyName("credential")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Credential { get; init; }

    /// <summary>Generates sent (or about to be) whose answer has not been seen.</summary>
    [JsonPropertyName("intents")]
    public IReadOnlyList<JournalIntent> Intents { get; init; } = [];

    [JsonPropertyName("leases")]
    public IReadOnlyList<JournalLease> Leases { get; init; } = [];

    [JsonIgnore]
    public bool IsEmpty => Intents.Count == 0 && Leases.Count == 0;
}

/// <summary>
/// The file itself. Version 2 has a section per credential (<c>credentials</c>, each naming its <c>credential</c>; a
/// list rather than an object keyed by name, which would cost the agent's binary System.Text.Json's dictionary
/// converters); version 1, written by agents that knew one credential, had that credential's <c>intents</c> and
/// <c>leases</c> at the top, and is still read so that an agent restarted in place with a newer image adopts its lease.
/// </summary>
public sealed class JournalFile
{
    public const int CurrentVersion = 2;

    [JsonPropertyName("version")]
    public int Version { get; init; } = CurrentVersion;

    [JsonPropertyName("credentials")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<JournalDocument>? Credentials { get; init; }

    /// <summary>Version 1 only.</summary>
    [JsonPropertyName("intents")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<JournalIntent>? Intents { get; init; }

    /// <summary>Version 1 only.</summary>
    [JsonPropertyName("leases")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<JournalLease>? Leases { get; init; }
}

/// <param name="ClientRef">The random reference sent with the generate, by which the lease can be found.</param>
public sealed record JournalIntent(
    [property: JsonPropertyName("client_ref")] string ClientRef,
    [property: JsonPropertyName("generation")] int Generation);

public sealed record JournalLease
{
    [JsonPropertyName("lease_id")]
    public required string LeaseId { get; init; }

    [JsonPropertyName("generation")]
    public required int Generation { get; init; }

    /// <summary>Whether this is the published lease (adopted on restart) rather than one to revoke.</summary>
    [JsonPropertyName("current")]
    public required bool Current { get; init; }

    [JsonPropertyName("state")]
    public required string State { get; init; }

    [JsonPropertyName("client_ref")]
    public string? ClientRef { get; init; }

    [JsonPropertyName("username")]
    public string? Username { get; init; }

    [JsonPropertyName("password")]
    public string? Password { get; init; }

    /// <summary>From issue to hard end, so an adopted lease keeps its rotation lead.</summary>
    [JsonPropertyName("lifetime_seconds")]
    public double? LifetimeSeconds { get; init; }

    /// <summary>The last granted duration: what to ask for when renewing an adopted lease without <c>LEASE_TTL</c>.</summary>
    [JsonPropertyName("duration_seconds")]
    public double? DurationSeconds { get; init; }

    public override string ToString() => $"JournalLease {{ LeaseId = {LeaseId}, Generation = {Generation}, Current = {Current} }}";
}

[JsonSourceGenerationOptions(WriteIndented = true)]
[JsonSerializable(typeof(JournalFile))]
internal sealed partial class JournalJsonContext : JsonSerializerContext;
