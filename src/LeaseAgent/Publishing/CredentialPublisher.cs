using System.Text.Json;
using LeaseAgent.Configuration;

namespace LeaseAgent.Publishing;

/// <summary>Owns the files the agent shares with the app: the credential file and the status file.</summary>
public sealed class CredentialPublisher(OutputOptions output)
{
    public const string StatusFileName = "status.json";

    // The probe reads it as the agent's own uid; nobody else needs it (it names the lease id and the user).
    private const UnixFileMode StatusMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private const UnixFileMode StateDirectoryMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    public string StatusFile => Path.Combine(output.StateDirectory, StatusFileName);

    /// <summary>
    /// Creates the state directory (0700), or checks that the existing one is safe to trust, and, when a credential
    /// will be published, checks that its directory exists.
    /// </summary>
    public void Prepare(bool publishesCredential = true)
    {
        var outputDirectory = Path.GetDirectoryName(output.File)!;
        if (publishesCredential && !Directory.Exists(outputDirectory))
        {
            throw new ConfigurationException("OUTPUT_FILE", $"the directory '{outputDirectory}' does not exist; mount the shared volume there or change OUTPUT_FILE");
        }

        try
        {
            Directory.CreateDirectory(output.StateDirectory, StateDirectoryMode);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ConfigurationException("STATE_DIR", $"cannot create '{output.StateDirectory}' ({e.Message}); point STATE_DIR at a writable place on the pod's volume");
        }

        CheckStateDirectory(output.StateDirectory);
    }

    /// <summary>
    /// The journal in the state directory names leases the next start revokes, so the directory must be one nobody
    /// else could have planted or can write: a real directory (not a symbolic link) of this uid, with no group or
    /// other write bit. One the agent created (0700) always is; the set-group-ID bit an fsGroup volume gives it grants nothing.
    /// </summary>
    private static void CheckStateDirectory(string directory)
    {
        const string fix = "remove it and let the agent create it (0700), or point STATE_DIR elsewhere";
        FileEntry? entry;
        try
        {
            entry = FileStatus.Of(directory);
        }
        catch (IOException e)
        {
            throw new ConfigurationException("STATE_DIR", $"{e.Message}; {fix}");
        }

        var problem = entry switch
        {
            null => "does not exist",
            { Kind: FileKind.SymbolicLink } => "is a symbolic link",
            { Kind: not FileKind.Directory } => "is not a directory",
            { OwnerId: var owner } when owner != FileStatus.EffectiveUserId => $"is owned by uid {owner}, not by the agent's uid {FileStatus.EffectiveUserId}",
            { Mode: var mode } when (mode & (UnixFileMode.GroupWrite | UnixFileMode.OtherWrite)) != 0 => $"is group- or world-writable (mode {Convert.ToString((int)mode, 8)})",
            _ => null,
        };
        if (problem is not null)
        {
            throw new ConfigurationException("STATE_DIR", $"'{directory}' {problem}; {fix}");
        }
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
