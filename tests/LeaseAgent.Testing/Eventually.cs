namespace LeaseAgent.Testing;

/// <summary>Waits on a condition with a deadline instead of sleeping and hoping.</summary>
public static class Eventually
{
    /// <param name="context">What to add to the timeout's message, e.g. a process's output, to diagnose it.</param>
    public static async Task<T> ReturnsAsync<T>(
        Func<Task<T>> probe,
        Func<T, bool> accept,
        TimeSpan timeout,
        string what,
        Func<string>? context = null)
    {
        var deadline = DateTime.UtcNow + timeout;
        T last = await probe();
        while (!accept(last))
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Timed out after {timeout.TotalSeconds:0.#} s waiting for {what}; last value: {last}{(context is null ? "" : "\n" + context())}");
            }

            await Task.Delay(50);
            last = await probe();
        }

        return last;
    }

    public static Task TrueAsync(Func<Task<bool>> condition, TimeSpan timeout, string what, Func<string>? context = null) =>
        ReturnsAsync(condition, ok => ok, timeout, what, context);

    public static Task TrueAsync(Func<bool> condition, TimeSpan timeout, string what, Func<string>? context = null) =>
        ReturnsAsync(() => Task.FromResult(condition()), ok => ok, timeout, what, context);
}
