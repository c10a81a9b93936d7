using System.Text.Json.Serialization;

namespace LeaseAgent.Status;

/// <summary>
/// What the agent is doing: <c>status.json</c>'s <c>state</c>, the state <c>probe</c> and <c>/readyz</c> name, and the
/// <c>state</c> label of <c>leaseagent_state</c>. Written as its name, as these strings always were. The lease states
/// carry the names and values of <c>Leasing.LeaseState</c>, so that the supervisor converts with a cast
/// (<c>AgentStateTests</c> keeps them equal); the last two are the agent's own.
/// </summary>
[JsonConverter(typeof(JsonStringEnumConverter<AgentState>))]
public enum AgentState
{
    Pending,
    Generating,
    Adopting,
    Probing,
    Publishing,
    Active,
    Renewing,
    Retiring,
    Revoking,
    Revoked,
    Abandoned,
    Lost,

    /// <summary>An agent with only <c>SECRETS</c> has written every file.</summary>
    Secrets,

    /// <summary>The agent is revoking what it holds and stopping: never ready again.</summary>
    Stopping,
}
