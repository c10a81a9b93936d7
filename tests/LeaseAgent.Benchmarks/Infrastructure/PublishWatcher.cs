using System.Collections.Concurrent;
using System.Diagnostics;

namespace LeaseAgent.Benchmarks.Infrastructure;

/// <summary>
/// Watches a directory (inotify, as an app should: a watch on the file itself dies with the rename) and keeps the
/// Stopwatch timestamp at which each file name first appeared there: for an atomic publish, the moment the
/// temp file was renamed into place, as seen by a reader of the directory.
/// </summary>
public sealed class PublishWatcher : IDisposable
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(100);

    private readonly FileSystemWatcher _watcher;
    private readonly ConcurrentDictionary<string, TaskCompletionSource<long>> _appeared = new(StringComparer.Ordinal);

    public PublishWatcher(string directory)
    {
        Directory = directory;
        _watcher = new FileSystemWatcher(directory)
        {
            NotifyFilter = NotifyFilters.FileName,
            IncludeSubdirectories = false,
            InternalBufferSize = 64 * 1024, // a fleet renames hundreds of files at once
        };
        _watcher.Renamed += (_, e) => Seen(e.Name);
        _watcher.Created += (_, e) => Seen(e.Name);
        _watcher.EnableRaisingEvents = true;
    }

    public string Directory { get; }

    /// <summary>True once <paramref name="fileName"/> has appeared.</summary>
    public bool HasAppeared(string fileName) => Slot(fileName).Task.IsCompleted;

    /// <summary>
    /// Waits until <paramref name="fileName"/> appears and returns the timestamp of its appearance. Fails the
    /// harness if <paramref name="process"/> exits first or the timeout passes.
    /// </summary>
    public async Task<long> WaitAsync(string fileName, TimeSpan timeout, ChildProcess? process = null)
    {
        var slot = Slot(fileName).Task;
        var clock = Stopwatch.StartNew();
        while (true)
        {
            if (await Task.WhenAny(slot, Task.Delay(PollInterval)) == slot)
            {
                return await slot;
            }

            if (process is { HasExited: true })
            {
                throw new HarnessException($"{process.Name} exited with code {process.ExitCode} before publishing {fileName}:\n{Tail(process)}");
            }

            if (clock.Elapsed > timeout)
            {
                throw new HarnessException($"{process?.Name ?? fileName}: nothing published within {timeout.TotalSeconds:0} s" + (process is null ? string.Empty : $":\n{Tail(process)}"));
            }
        }
    }

    public void Dispose() => _watcher.Dispose();

    private static string Tail(ChildProcess process) => string.Join('\n', process.Lines.TakeLast(15).Select(l => l.Text));

    private void Seen(string? name)
    {
        var timestamp = Stopwatch.GetTimestamp();
        if (name is not null)
        {
            Slot(name).TrySetResult(timestamp);
        }
    }

    private TaskCompletionSource<long> Slot(string name) =>
        _appeared.GetOrAdd(name, _ => new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously));
}
