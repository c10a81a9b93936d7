using System.Text.Json;
using LeaseAgent.Publishing;

namespace LeaseAgent.Leasing;

/// <summary>
/// Reads and writes <c>STATE_DIR/journal.json</c> atomically with mode 0600: one file for the whole agent, with a
/// section per credential (<see cref="JournalFile"/>). Each credential's supervisor reads and writes only its own
/// section through <see cref="Section"/>; the file is read once, on the first access, and every write rewrites it
/// whole under a lock, so the supervisors' loops may write at the same time.
/// </summary>
/// <param name="version1Owner">
/// The credential a version-1 journal (one credential, no sections) belongs to: the first configured one, which is
/// the only one for an agent that is restarted in place with the same single-credential keys.
/// </param>
public sealed class LeaseJournal(string stateDirectory, string version1Owner, TimeProvider time)
{
    private const UnixFileMode Mode = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    /// <summary>A journal names a handful of leases per credential: a few KiB. Anything far larger is not one of ours.</summary>
    private const long MaxSize = 1024 * 1024;

    private readonly Lock _gate = new();
    private Dictionary<string, JournalDocument>? _sections;
    private string? _problem;
    private byte[]? _lastWritten;

    public const string FileName = "journal.json";

    public string Path { get; } = System.IO.Path.Combine(stateDirectory, FileName);

    /// <summary>The view of one credential's section, with the shape its supervisor uses.</summary>
    public CredentialJournal Section(string credential) => new(this, credential);

    /// <summary>
    /// The section of <paramref name="credential"/> left by a previous agent on this volume; empty when there is none.
    /// A journal that cannot be read is moved aside (never deleted: it may name leases an operator wants to revoke by
    /// hand), and so is one that is not a regular file or is too large, unread: a symbolic link is never followed.
    /// Nobody else can swap the file between the check and the read: the state directory is the agent's own, 0700.
    /// Every section's first load reports such a problem, since each lost what the file held for it.
    /// </summary>
    internal (JournalDocument Journal, string? Problem) Load(string credential)
    {
        lock (_gate)
        {
            return (Sections().GetValueOrDefault(credential) ?? new JournalDocument(), _problem);
        }
    }

    /// <summary>Replaces the section of <paramref name="credential"/>; writes the file if it changed since the last write.</summary>
    internal void Write(string credential, JournalDocument section)
    {
        lock (_gate)
        {
            Sections()[credential] = section;
            WriteFile();
        }
    }

    /// <summary>
    /// After a clean shutdown of <paramref name="credential"/> that revoked everything there is nothing of it left to
    /// recover; the file goes once no section holds anything.
    /// </summary>
    internal void Delete(string credential)
    {
        lock (_gate)
        {
            var sections = Sections();
            sections.Remove(credential);
            if (sections.Values.All(s => s.IsEmpty))
            {
                AtomicFileWriter.TryDelete(Path);
                _lastWritten = null;
                return;
            }

            WriteFile();
        }
    }

    private void WriteFile()
    {
        var file = new JournalFile { Credentials = [.. _sections!.OrderBy(s => s.Key, StringComparer.Ordinal).Select(s => s.Value with { Credential = s.Key })] };
        var bytes = JsonSerializer.SerializeToUtf8Bytes(file, JournalJsonContext.Default.JournalFile);
        if (_lastWritten is not null && bytes.AsSpan().SequenceEqual(_lastWritten))
        {
            return;
        }

        AtomicFileWriter.Write(Path, bytes, Mode);
        DirectorySync.TrySync(stateDirectory); // the rename itself must survive a node crash on a disk-backed volume
        _lastWritten = bytes;
    }

    private Dictionary<string, JournalDocument> Sections()
    {
        if (_sections is null)
        {
            (_sections, _problem) = Read();
        }

        return _sections;
    }

    private (Dictionary<string, JournalDocument> Sections, string? Problem) Read()
    {
        var entry = FileStatus.Of(Path);
        if (entry is null)
        {
            return (new(StringComparer.Ordinal), null);
        }

        if (entry.Value.Kind != FileKind.Regular)
        {
            return (new(StringComparer.Ordinal), MoveAside($"it is not a regular file ({entry.Value.Kind}) and was not read"));
        }

        if (entry.Value.Size > MaxSize)
        {
            return (new(StringComparer.Ordinal), MoveAside($"it is larger than {MaxSize} bytes and was not read"));
        }

        try
        {
            var file = JsonSerializer.Deserialize(File.ReadAllBytes(Path), JournalJsonContext.Default.JournalFile);
            var sections = new Dictionary<string, JournalDocument>(StringComparer.Ordinal);
            switch (file)
            {
                case { Version: 1 }:
                    sections[version1Owner] = new JournalDocument { Intents = file.Intents ?? [], Leases = file.Leases ?? [] };
                    return (sections, null);
                case { Version: JournalFile.CurrentVersion }:
                    foreach (var section in file.Credentials ?? [])
                    {
                        if (section.Credential is { } credential)
                        {
                            sections[credential] = section with { Credential = null };
                        }
                    }

                    return (sections, null);
                default:
                    return (sections, MoveAside("it has an unknown version"));
            }
        }
        catch (JsonException)
        {
            return (new(StringComparer.Ordinal), MoveAside("it is not valid JSON"));
        }
    }

    private string MoveAside(string problem)
    {
        var aside = $"{Path}.unreadable-{time.GetUtcNow():yyyyMMddTHHmmss}";
        File.Move(Path, aside, overwrite: true);
        return $"{problem}; moved to {aside}";
    }
}

/// <summary>One credential's view of the agent's journal: its own section, read, written and deleted as if it were the file.</summary>
public sealed class CredentialJournal(LeaseJournal journal, string credential)
{
    /// <summary>The shared file's path, for log messages.</summary>
    public string Path => journal.Path;

    public (JournalDocument Journal, string? Problem) Load() => journal.Load(credential);

    public void Write(JournalDocument section) => journal.Write(credential, section);

    public void Delete() => journal.Delete(credential);
}
