using System.Text.Json;
using System.Text.Json.Serialization;
using LeaseAgent.Publishing;

namespace LeaseAgent.Status;

/// <summary>Where <c>status.json</c> lives and how it is written and read. Only <see cref="StatusReporter"/> writes it.</summary>
public static class StatusFile
{
    public const string FileName = "status.json";

    // The probe reads it as the agent's own uid; nobody else needs it (it names the lease id and the user).
    private const UnixFileMode Mode = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    public static string In(string stateDirectory) => Path.Combine(stateDirectory, FileName);

    internal static void Write(string path, AgentStatus status) =>
        AtomicFileWriter.Write(path, JsonSerializer.SerializeToUtf8Bytes(status, StatusJsonContext.Default.AgentStatus), Mode);

    /// <exception cref="JsonException">Not a status file, or a state this agent does not know.</exception>
    internal static AgentStatus? Read(string path) =>
        JsonSerializer.Deserialize(File.ReadAllBytes(path), StatusJsonContext.Default.AgentStatus);
}

[JsonSourceGenerationOptions(WriteIndented = true)]
[JsonSerializable(typeof(AgentStatus))]
internal sealed partial class StatusJsonContext : JsonSerializerContext;
