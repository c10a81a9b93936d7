using System.Net.Http.Headers;
using Polly;

namespace ScaiVault.Client;

/// <summary>
/// How every ScaiVault call is made: inside the resilience pipeline (retries never scheduled past the caller's
/// <see cref="Deadline"/>), with the bearer token of the caller's token source;
/// a stale token (<c>token_expired</c>/<c>token_invalid</c>) is exchanged again and the request sent once more.
/// </summary>
internal sealed class ScaiVaultCalls(HttpClient http, ScaiVaultClientOptions options, TimeProvider time)
{
    private readonly ScaiVaultPeer _peer = ScaiVaultPeer.ScaiVault(options);

    private readonly ResiliencePipeline _pipeline = ScaiVaultResilience.Create(
        attemptTimeout: options.RequestTimeout,
        totalTimeout: options.RequestTimeout * 4,
        maxRetries: 3,
        time);

    /// <exception cref="ScaiVaultException">
    /// Every failure, timeouts included: Polly's <see cref="Polly.Timeout.TimeoutRejectedException"/> never reaches a
    /// caller, so callers catch one type (only a cancelled <paramref name="cancellationToken"/> ends otherwise).
    /// </exception>
    public async Task<T> ExecuteAsync<T>(Deadline deadline, Func<CancellationToken, Task<T>> operation, CancellationToken cancellationToken)
    {
        var context = ResilienceContextPool.Shared.Get(cancellationToken);
        context.Properties.Set(ScaiVaultResilience.Deadline, deadline);
        try
        {
            return await _pipeline.ExecuteAsync(
                static async (ctx, op) => await op(ctx.CancellationToken),
                context,
                operation);
        }
        catch (Polly.Timeout.TimeoutRejectedException e)
        {
            throw new ScaiVaultException(null, ErrorCodes.Timeout, "ScaiVault did not answer in time", inner: e);
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }
    }

    public async Task<HttpResponseMessage> SendAuthorizedAsync(IScaiVaultTokenSource tokens, HttpMethod method, string path, HttpContent? content, CancellationToken cancellationToken)
    {
        // Content is buffered so that the request can be sent again after a token refresh.
        var body = content is null ? null : await content.ReadAsByteArrayAsync(cancellationToken);
        var mediaType = content?.Headers.ContentType;
        content?.Dispose();

        try
        {
            return await SendOnceAsync(tokens, method, path, body, mediaType, cancellationToken);
        }
        catch (ScaiVaultException e) when (e.IsStaleToken)
        {
            tokens.Invalidate();
            return await SendOnceAsync(tokens, method, path, body, mediaType, cancellationToken);
        }
    }

    private async Task<HttpResponseMessage> SendOnceAsync(IScaiVaultTokenSource tokens, HttpMethod method, string path, byte[]? body, MediaTypeHeaderValue? mediaType, CancellationToken cancellationToken)
    {
        var token = await tokens.GetTokenAsync(cancellationToken);
        return await ScaiVaultHttp.SendAsync(
            http,
            () =>
            {
                var request = new HttpRequestMessage(method, ScaiVaultHttp.Combine(options.BaseUrl, path));
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
                if (body is not null)
                {
                    request.Content = new ByteArrayContent(body);
                    request.Content.Headers.ContentType = mediaType;
                }

                return request;
            },
            _peer,
            cancellationToken);
    }
}
