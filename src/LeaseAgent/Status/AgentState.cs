using System.Text.Json;
using System.Text.Json.Serialization;

namespace LeaseAgent.Status;

/// <summary>
/// What the agent is doing: <c>status.json</c>'s <c>state</c>, the state <c>probe</c> and <c>/readyz</c> name, and the
/// <c>state</c> label of <c>leaseagent_state</c>. Written as its name, as these strings always were. The lease states
/// carry the names and values of <c>Leasing.LeaseState</c>, so that the supervisor converts with a cast
/// (<c>AgentStateTests</c> keeps them equal); the last two are the agent's own.
/// </summary>
[JsonConverter(typeof(AgentStateJsonConverter))]
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

/// <summary>
/// An <see cref="AgentState"/> as its name, and only a name back: smaller in the binary than
/// <see cref="JsonStringEnumConverter{TEnum}"/>, which also handles naming policies, flags and numbers.
/// </summary>
internal sealed class AgentStateJsonConverter : JsonConverter<AgentState>
{
    public override AgentState Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        reader.TokenType == JsonTokenType.String && Enum.TryParse<AgentState>(reader.GetString(), ignoreCase: false, out var state) && Enum.IsDefined(state)
            ? state
            : throw new JsonException("not a state of lease-agent");

    public override void Write(Utf8JsonWriter writer, AgentState value, JsonSerializerOptions options) => writer.WriteStringValue(value.ToString());
}
