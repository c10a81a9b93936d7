using System.Text.Json.Serialization;

namespace LeaseAgent.Publishing;

[JsonSourceGenerationOptions(WriteIndented = true)]
[JsonSerializable(typeof(CredentialDocument))]
internal sealed partial class PublishingJsonContext : JsonSerializerContext;
