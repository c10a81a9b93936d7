using System.Text.Json;
using LeaseAgent.Publishing;

namespace LeaseAgent.Leasing;

/// <summary>Reads and writes <c>STATE_DIR/journal.json</c> atomically with mode 0600.</summary>
public sealed class LeaseJournal(string stateDirectory, TimeProvider time)
{
    private const UnixFileMode Mode = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    private byte[]? _lastWritten;

    public string Path { get; } = System.IO.Path.Combine(stateDirectory, "journal.json");

    /// <summary>
    /// The journal left by a previous agent on this volume; empty when there is none. A journal that cannot
    /// be read is moved aside (never deleted: it may name leases an operator wants to revoke by hand).
    /// </summary>
    public (JournalDocument Journal, string? Problem) Load()
    {
        if (!File.Exists(Path))
        {
            return (new JournalDocument(), null);
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
