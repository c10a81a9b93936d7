using LeaseAgent.Configuration;
using LeaseAgent.Publishing;

namespace LeaseAgent.Status;

/// <summary>
/// One dynamic credential's part of the agent's status, reported by the lease supervisor after every event it handles
/// (and again whenever the heartbeat is due). The agent is ready when every credential's part is.
/// </summary>
/// <param name="Credential">Which credential (<see cref="NameOf"/>): the key of this part, and later of its status and metrics.</param>
/// <param name="State">The state of its current (or incoming) lease, or <see cref="AgentState.Stopping"/>.</param>
public sealed record LeaseStatus(string Credential, AgentState State)
{
    /// <summary>Generation of the published credential (0 when none).</summary>
    public int Generation { get; init; }

    public string? LeaseId { get; init; }

    public string? Username { get; init; }

    public DateTimeOffset? ExpiresAt { get; init; }

    /// <summary>The credential in service, with its deadlines; null while none is.</summary>
    public PublishedCredential? Published { get; init; }

    /// <summary>In service, but the last attempt to renew or replace it failed.</summary>
    public bool Degraded { get; init; }

    /// <summary>The last error code; never a message, identifier or secret.</summary>
    public string? LastError { get; init; }

    /// <summary>Nothing is in service and the last attempt to get a credential failed: <c>FAIL_OPEN</c> may report ready.</summary>
    public bool Unavailable { get; init; }

    /// <summary>The name of the credential <paramref name="lease"/> configures: <c>ENGINE/ROLE</c>.</summary>
    public static string NameOf(LeaseOptions lease) => $"{lease.Engine}/{lease.Role}";
}

/// <summary>
/// A credential in service: the document the app was given (supervisor mode's child gets it in its environment; its
/// <c>ToString</c> never shows the password) and its deadlines on the monotonic clock.
/// </summary>
/// <param name="ExpiresAt">When the lease expires unless renewed (<see cref="TimeProvider.GetTimestamp"/>).</param>
/// <param name="HardEndAt">When its max TTL ends; <see cref="long.MaxValue"/> when the server did not say.</param>
public sealed record PublishedCredential(CredentialDocument Document, long ExpiresAt, long HardEndAt);

/// <summary>The static secrets' part of the agent's status, reported by the secret refresher after every refresh and wait.</summary>
/// <param name="Written">Every <c>SECRETS</c> file has been written at least once.</param>
/// <param name="Failures">Refreshes failed in a row.</param>
/// <param name="LastError">The last refresh's error code, null after a refresh that worked.</param>
public sealed record SecretsStatus(bool Written, int Failures, string? LastError);
