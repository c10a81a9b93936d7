using System.Security.Cryptography;

namespace LeaseAgent.Publishing;

/// <summary>
/// Replaces a file so that a reader sees the old complete file, the new complete file, or none, never a
/// partial one: a temp file in the same directory, created exclusively (O_EXCL) with the final mode,
/// flushed to disk, then renamed over the target. No backup copy of the old content is ever made.
/// </summary>
public static class AtomicFileWriter
{
    public static void Write(string path, ReadOnlySpan<byte> content, UnixFileMode mode) => Stage(path, content, mode).Commit();

    /// <summary>
    /// Writes the content to a temp file beside <paramref name="path"/> and returns it uncommitted: several files
    /// can be staged first and renamed into place only once all of them were written (init's all-or-nothing).
    /// </summary>
    public static StagedFile Stage(string path, ReadOnlySpan<byte> content, UnixFileMode mode)
    {
        var directory = Path.GetDirectoryName(Path.GetFullPath(path))
            ?? throw new ArgumentException($"'{path}' has no directory", nameof(path));
        var temp = Path.Combine(directory, $".{Path.GetFileName(path)}.{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6))}.tmp");
        try
        {
            var options = new FileStreamOptions
            {
                Mode = FileMode.CreateNew,
                Access = FileAccess.Write,
                Share = FileShare.None,
                UnixCreateMode = mode,
            };
            using (var stream = new FileStream(temp, options))
            {
                stream.Write(content);
                stream.Flush(flushToDisk: true);
            }

            // The umask may have removed bits the operator asked for (0640 for a shared fsGroup); the file
            // was never more open than requested, so widening it to exactly the mode is safe.
            File.SetUnixFileMode(temp, mode);
            return new StagedFile(temp, path);
        }
        catch
        {
            TryDelete(temp);
            throw;
        }
    }

    /// <summary>Deletes the file if it exists; returns false when that failed.</summary>
    public static bool TryDelete(string path)
    {
        try
        {
            File.Delete(path);
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }
}

/// <summary>A complete temp file waiting to be renamed over its target.</summary>
public sealed class StagedFile(string temp, string target)
{
    public string Target { get; } = target;

    /// <summary>Renames the temp file over the target; on failure the temp file is removed.</summary>
    public void Commit()
    {
        try
        {
            File.Move(temp, Target, overwrite: true);
        }
        catch
        {
            Discard();
            throw;
        }
    }

    public void Discard() => AtomicFileWriter.TryDelete(temp);
}
