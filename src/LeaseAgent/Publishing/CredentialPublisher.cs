using System.Text.Json;
using LeaseAgent.Configuration;

namespace LeaseAgent.Publishing;

/// <summary>Owns the files the agent shares with the app: the credential file and the status file.</summary>
public sealed class CredentialPublisher(OutputOptions output)
{
    private const UnixFileMode StatusMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead;
    private const UnixFileMode StateDirectoryMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    public string StatusFile => Path.Combine(output.StateDirectory, "status.json");

    /// <summary>Creates the state directory (0700) and, when a credential will be published, checks that its directory exists.</summary>
    public void Prepare(bool publishesCredential = true)
    {
        var outputDirectory = Path.GetDirectoryName(output.File)!;
        if (publishesCredential && !Directory.Exists(outputDirectory))
        {
            throw new ConfigurationException("OUTPUT_FILE", $"the directory '{outputDirectory}' does not exist; mount the shared volume there or change OUTPUT_FILE");
        }

        Directory.CreateDirectory(output.StateDirectory, StateDirectoryMode);
    }

    private readonly TaskCompletionSource<CredentialDocument> _firstPublished = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes with the first credential published (supervisor mode starts the child then).</summary>
    public Task<CredentialDocument> FirstPublished => _firstPublished.Task;

    public void Publish(CredentialDocument document)
    {
        AtomicFileWriter.Write(output.File, CredentialFormatter.Render(document, output.Format), output.Mode);
        _firstPublished.TrySetResult(document);
    }

    public bool Unpublish() => AtomicFileWriter.TryDelete(output.File);

    public void WriteStatus(AgentStatus status) =>
        AtomicFileWriter.Write(StatusFile, JsonSerializer.SerializeToUtf8Bytes(status, PublishingJsonContext.Default.AgentStatus), StatusMode);
}
