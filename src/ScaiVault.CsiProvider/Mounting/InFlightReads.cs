using System.Collections.Concurrent;
using ScaiVault.Client;

namespace ScaiVault.CsiProvider.Mounting;

/// <summary>One read of a secret by one identity: <see cref="TokenCacheKey"/> (which includes the server), path and pinned version.</summary>
internal readonly record struct ReadKey(TokenCacheKey Identity, string Path, int? Version);

/// <summary>
/// Joins concurrent identical reads (the same identity, server, path and version) into one ScaiVault call. Only
/// reads in flight are shared: a finished read is forgotten at once, so every Mount that starts later reads afresh
/// (no value cache: <c>--secret-cache-ttl</c> is not built).
/// </summary>
internal sealed class InFlightReads
{
    private readonly ConcurrentDictionary<ReadKey, Task<SecretValue>> _inFlight = new();

    /// <summary>
    /// The read in flight for <paramref name="key"/>, or a new one started with <paramref name="read"/>. The read runs
    /// under its own deadline, not under any one caller's cancellation, so a Mount that gives up does not fail the
    /// others that joined it; each caller waits with its own token.
    /// </summary>
    public Task<SecretValue> ReadAsync(ReadKey key, Func<Task<SecretValue>> read)
    {
        while (true)
        {
            if (_inFlight.TryGetValue(key, out var running))
            {
                return running;
            }

            var completion = new TaskCompletionSource<SecretValue>(TaskCreationOptions.RunContinuationsAsynchronously);
            if (_inFlight.TryAdd(key, completion.Task))
            {
                _ = RunAsync(key, completion, read);
                return completion.Task;
            }
        }
    }

    private async Task RunAsync(ReadKey key, TaskCompletionSource<SecretValue> completion, Func<Task<SecretValue>> read)
    {
        try
        {
            var value = await read();
            _inFlight.TryRemove(new KeyValuePair<ReadKey, Task<SecretValue>>(key, completion.Task));
            completion.SetResult(value);
        }
        catch (Exception e)
        {
            _inFlight.TryRemove(new KeyValuePair<ReadKey, Task<SecretValue>>(key, completion.Task));
            completion.SetException(e);
        }
    }
}
