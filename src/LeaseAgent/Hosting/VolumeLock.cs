using LeaseAgent.Configuration;

namespace LeaseAgent.Hosting;

/// <summary>
/// One writer per volume: an exclusive lock on <c>STATE_DIR/lock</c>. On Linux .NET takes it with
/// <c>flock(LOCK_EX | LOCK_NB)</c>, which the kernel releases when the process dies, even by SIGKILL, so a
/// restarted agent never finds a stale lock.
/// </summary>
public sealed class VolumeLock : IDisposable
{
    /// <summary>EWOULDBLOCK (= EAGAIN on Linux): flock's answer when another open file holds the lock; .NET passes it as HResult.</summary>
    private const int WouldBlock = 11;

    private readonly FileStream _file;

    private VolumeLock(FileStream file) => _file = file;

    /// <summary>
    /// Takes the lock, or throws <see cref="VolumeLockedException"/> at once when another agent holds it. Any other
    /// failure (read-only or full volume, no permission, a directory named lock) is a STATE_DIR problem.
    /// </summary>
    public static VolumeLock Acquire(string stateDirectory)
    {
        var path = Path.Combine(stateDirectory, "lock");
        try
        {
            var file = new FileStream(path, new FileStreamOptions
            {
                Mode = FileMode.OpenOrCreate,
                Access = FileAccess.ReadWrite,
                Share = FileShare.None,
                UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
            });
            return new VolumeLock(file);
        }
        catch (IOException e) when (e.HResult == WouldBlock)
        {
            throw new VolumeLockedException($"another lease-agent holds {path}: only one agent may manage a volume; this one exits without touching anything", e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ConfigurationException("STATE_DIR", $"cannot lock {path} ({e.Message}); STATE_DIR must be a writable directory of the agent's own");
        }
    }

    public void Dispose() => _file.Dispose();
}

public sealed class VolumeLockedException(string message, Exception inner) : Exception(message, inner);
