using System.Security.Cryptography;

namespace LeaseAgent.Publishing;

/// <summary>
/// Replaces a file so that a reader sees the old complete file, the new complete file, or none, never a
/// partial one: a temp file in the same directory, created exclusively (O_EXCL) with the final mode,
/// flushed to disk, then renamed over the target. No backup copy of the old content is ever made.
/// </summary>
public static class AtomicFileWriter
{
    private const int RandomBytes = 6;
    private const string TempSuffix = ".tmp";

    public static void Write(string path, ReadOnlySpan<byte> content, UnixFileMode mode) => Stage(path, content, mode).Commit();

    /// <summary>
    /// Writes the content to a temp file beside <paramref name="path"/> and returns it uncommitted: several files
    /// can be staged first and renamed into place only once all of them were written (init's all-or-nothing).
    /// </summary>
    public static StagedFile Stage(string path, ReadOnlySpan<byte> content, UnixFileMode mode)
    {
        var directory = Path.GetDirectoryName(Path.GetFullPath(path))
            ?? throw new ArgumentException($"'{path}' has no directory", nameof(path));
        var temp = Path.Combine(directory, $"{TempPrefix(path)}{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(RandomBytes))}{TempSuffix}");
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
                // The umask may have removed bits the operator asked for (0640 for a shared fsGroup); the file
                // was never more open than requested, so widening it to exactly the mode is safe. On the handle
                // (fchmod), never by path: chmod follows a symbolic link swapped in for the temp file.
                File.SetUnixFileMode(stream.SafeFileHandle, mode);
                stream.Write(content);
                stream.Flush(flushToDisk: true);
            }

            return new StagedFile(temp, path);
        }
        catch
        {
            TryDelete(temp);
            throw;
        }
    }

    /// <summary>
    /// Removes the temp files of <paramref name="path"/> (<c>.name.&lt;12 hex&gt;.tmp</c>) that a writer killed between
    /// creating and renaming one left behind: they may hold a password. Call it only while no other writer of the
    /// file runs (under the volume lock). Returns how many were removed.
    /// </summary>
    public static int RemoveStaleTempFiles(string path)
    {
        var directory = Path.GetDirectoryName(Path.GetFullPath(path))!;
        if (!Directory.Exists(directory))
        {
            return 0;
        }

        var prefix = TempPrefix(path);
        var removed = 0;
        foreach (var file in Directory.EnumerateFiles(directory))
        {
            var name = Path.GetFileName(file);
            if (name.Length == prefix.Length + (RandomBytes * 2) + TempSuffix.Length
                && name.StartsWith(prefix, StringComparison.Ordinal)
                && name.EndsWith(TempSuffix, StringComparison.Ordinal)
                && name[prefix.Length..^TempSuffix.Length].All(char.IsAsciiHexDigitLower)
                && TryDelete(file))
            {
                removed++;
            }
        }

        return removed;
    }

    private static string TempPrefix(string path) => $".{Path.GetFileName(path)}.";

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
