using System.Globalization;

namespace ScaiVault.Client;

/// <summary>
/// Reads static secrets (<c>GET /v1/secrets/{path}[?version=N]</c>) the way <c>lease-agent</c> does: resilience
/// pipeline, one re-exchange on a stale token, the tolerant answer parser. Thread-safe; one per process is enough,
/// since the identity comes with each call.
/// </summary>
public sealed class ScaiVaultSecretReader
{
    private readonly ScaiVaultCalls _calls;

    public ScaiVaultSecretReader(HttpClient http, ScaiVaultClientOptions options, TimeProvider time)
        : this(new ScaiVaultCalls(http, options, time))
    {
    }

    internal ScaiVaultSecretReader(ScaiVaultCalls calls) => _calls = calls;

    /// <summary>The secret at <paramref name="path"/>: its latest version, or <paramref name="version"/> when given.</summary>
    /// <param name="tokens">Whose identity reads it (e.g. a <see cref="WorkloadTokenExchange"/> per pod).</param>
    /// <param name="deadline">No retry is scheduled past it (<see cref="Deadline.From"/> the caller's budget).</param>
    /// <exception cref="ScaiVaultException">ScaiVault refused, failed, could not be reached or did not answer in time; its <see cref="ScaiVaultException.Code"/> says why.</exception>
    public Task<SecretValue> ReadAsync(IScaiVaultTokenSource tokens, string path, int? version, Deadline deadline, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        ArgumentException.ThrowIfNullOrEmpty(path);
        var escaped = string.Join('/', path.Split('/').Select(Uri.EscapeDataString));
        var query = version is { } pinned ? "?version=" + pinned.ToString(CultureInfo.InvariantCulture) : string.Empty;
        return _calls.ExecuteAsync(
            deadline,
            async token =>
            {
                using var response = await _calls.SendAuthorizedAsync(tokens, HttpMethod.Get, "/v1/secrets/" + escaped + query, null, token);
                return SecretResponseParser.Parse(await ScaiVaultHttp.ReadBodyAsync(response, token), path);
            },
            cancellationToken);
    }
}
