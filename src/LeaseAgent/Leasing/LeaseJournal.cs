using System.Text.Json;
using LeaseAgent.Publishing;

namespace LeaseAgent.Leasing;

/// <summary>Reads and writes <c>STATE_DIR/journal.json</c> atomically with mode 0600.</summary>
public sealed class LeaseJournal(string stateDirectory, TimeProvider time)
{
    private const UnixFileMode Mode = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    /// <summary>A journal names a handful of leases: a few KiB. Anything far larger is not one of ours.</summary>
    private const long MaxSize = 1024 * 1024;

    private byte[]? _lastWritten;

    public const string FileName = "journal.json";

    public string Path { get; } = System.IO.Path.Combine(stateDirectory, FileName);

    /// <summary>
    /// The journal left by a previous agent on this volume; empty when there is none. A journal that cannot
    /// be read is moved aside (never deleted: it may name leases an operator wants to revoke by hand), and so is
    /// one that is not a regular file or is too large, unread: a symbolic link is never followed. Nobody else can
    /// swap the file between the check and the read: the state directory is the agent's own, 0700.
    /// </summary>
    public (JournalDocument Journal, string? Problem) Load()
    {
        var entry = FileStatus.Of(Path);
        if (entry is null)
        {
            return (new JournalDocument(), null);
        }

        if (entry.Value.Kind != FileKind.Regular)
        {
            return (new JournalDocument(), MoveAside($"it is not a regular file ({entry.Value.Kind}) and was not read"));
        }

        if (entry.Value.Size > MaxSize)
        {
            return (new JournalDocument(), MoveAside($"it is larger than {MaxSize} bytes and was not read"));
        }

        try
        {
            var document = JsonSerializer.Deserialize(File.ReadAllBytes(Path), JournalJsonContext.Default.JournalDocument);
            if (document is { Version: 1 })
            {
                return (document, null);
            }

            return (new JournalDocument(), MoveAside("it has an unknown version"));
        }
        catch (JsonException)
        {
            return (new JournalDocument(), MoveAside("it is not valid JSON"));
        }
    }

    /// <summary>Writes the journal if it changed since the last write.</summary>
    public void Write(JournalDocument journal)
    {
        var bytes = JsonSerializer.SerializeToUtf8Bytes(journal, JournalJsonContext.Default.JournalDocument);
        if (_lastWritten is not null && bytes.AsSpan().SequenceEqual(_lastWritten))
        {
            return;
        }

        AtomicFileWriter.Write(Path, bytes, Mode);
        DirectorySync.TrySync(stateDirectory); // the rename itself must survive a node crash on a disk-backed volume
        _lastWritten = bytes;
    }

    /// <summary>After a clean shutdown that revoked everything there is nothing left to recover.</summary>
    public void Delete()
    {
        AtomicFileWriter.TryDelete(Path);
        _lastWritten = null;
    }

    private string MoveAside(string problem)
    {
        var aside = $"{Path}.unreadable-{time.GetUtcNow():yyyyMMddTHHmmss}";
        File.Move(Path, aside, overwrite: true);
        return $"{problem}; moved to {aside}";
    }
}
