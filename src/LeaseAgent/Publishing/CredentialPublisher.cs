using LeaseAgent.Configuration;

namespace LeaseAgent.Publishing;

/// <summary>Owns the credential file the agent shares with the app, and prepares the state directory.</summary>
public sealed class CredentialPublisher(OutputOptions output)
{
    private const UnixFileMode StateDirectoryMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    /// <summary>
    /// Creates the state directory (0700), or checks that the existing one is safe to trust, and, when a credential
    /// will be published, checks that its directory exists.
    /// </summary>
    /// <param name="fileKey">The key that named the file, for the error: <c>OUTPUT_FILE</c> or <c>CREDENTIALS</c>.</param>
    public void Prepare(bool publishesCredential = true, string fileKey = "OUTPUT_FILE")
    {
        var outputDirectory = Path.GetDirectoryName(output.File)!;
        if (publishesCredential && !Directory.Exists(outputDirectory))
        {
            throw new ConfigurationException(fileKey, $"the directory '{outputDirectory}' does not exist; mount the shared volume there or change {fileKey}");
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

    /// <summary>The document last written to the credential file; null before the first and after <see cref="Unpublish"/>.</summary>
    public CredentialDocument? Published { get; private set; }

    public void Publish(CredentialDocument document)
    {
        AtomicFileWriter.Write(output.File, CredentialFormatter.Render(document, output.Format), output.Mode);
        Published = document;
    }

    public bool Unpublish()
    {
        Published = null;
        return AtomicFileWriter.TryDelete(output.File);
    }
}
