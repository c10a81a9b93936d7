using System.Text.Json.Serialization;

namespace LeaseAgent.Publishing;

[JsonSourceGenerationOptions(WriteIndented = true)]
[JsonSerializable(typeof(CredentialDocument))]
[JsonSerializable(typeof(AgentStatus))]
internal sealed partial class PublishingJsonContext : JsonSerializerContext;
