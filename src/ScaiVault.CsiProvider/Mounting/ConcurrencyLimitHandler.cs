namespace ScaiVault.CsiProvider.Mounting;

/// <summary>
/// The per-process bulkhead: at most <c>--max-concurrency</c> ScaiVault calls (token exchanges and secret reads
/// alike) are on the wire at once, however many pods mount together; the rest queue here until a slot frees or
/// their Mount's deadline passes. A call holds its slot until ScaiVault's answer headers arrive (every answer the
/// provider reads is small and buffered right after).
/// </summary>
internal sealed class ConcurrencyLimitHandler(int limit) : DelegatingHandler
{
    private readonly SemaphoreSlim _slots = new(limit, limit);

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        await _slots.WaitAsync(cancellationToken);
        try
        {
            return await base.SendAsync(request, cancellationToken);
        }
        finally
        {
            _slots.Release();
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _slots.Dispose();
        }

        base.Dispose(disposing);
    }
}
