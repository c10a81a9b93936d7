namespace ScaiVault.CsiProvider.Configuration;

/// <summary>The provider's validated configuration.</summary>
public sealed record ProviderOptions
{
    /// <summary><c>ENDPOINT</c> / <c>--endpoint</c>: the Unix socket the driver dials. Default <c>/provider/scaivault.sock</c>.</summary>
    public required string Endpoint { get; init; }

    /// <summary><c>SCAIVAULT_URL</c> / <c>--scaivault-url</c>: the ScaiVault server of every SecretProviderClass that names none. Required.</summary>
    public required Uri ScaiVaultUrl { get; init; }

    /// <summary>
    /// <c>ALLOWED_URL</c> / <c>--allowed-url</c> (repeatable; comma-separated in the environment): the other servers a
    /// SecretProviderClass may name in <c>scaivaultUrl</c>. <see cref="ScaiVaultUrl"/> is always allowed. Default none.
    /// </summary>
    public required IReadOnlyList<Uri> AllowedUrls { get; init; }

    /// <summary>The driver's default receive limit (<c>--max-call-recv-msg-size</c>), 4 MiB.</summary>
    public const int DefaultMaxResponseBytes = 4 * 1024 * 1024;

    /// <summary><c>CA_FILE</c> / <c>--ca-file</c>: a PEM bundle trusted for ScaiVault besides the system store. Default none.</summary>
    public string? CaFile { get; init; }

    /// <summary><c>TOKEN_CACHE_SIZE</c> / <c>--token-cache-size</c>: ScaiVault tokens kept, one per pod identity; the least recently used goes first. Default 1000.</summary>
    public int TokenCacheSize { get; init; } = 1000;

    /// <summary>
    /// <c>MAX_RESPONSE_BYTES</c> / <c>--max-response-bytes</c>: the largest Mount answer; keep it at or below the driver's
    /// <c>--max-call-recv-msg-size</c>. Default 4 MiB.
    /// </summary>
    public int MaxResponseBytes { get; init; } = DefaultMaxResponseBytes;

    /// <summary><c>DEFAULT_AUDIENCE</c> / <c>--default-audience</c>: the token audience when the SecretProviderClass names none. Default <c>scaivault</c>.</summary>
    public required string DefaultAudience { get; init; }

    /// <summary><c>MAX_CONCURRENCY</c> / <c>--max-concurrency</c>: concurrent ScaiVault calls per node. Default 16.</summary>
    public required int MaxConcurrency { get; init; }

    /// <summary><c>REQUEST_TIMEOUT</c> / <c>--request-timeout</c>: the longest a Mount may take, capped by the driver's deadline. Default 45 s.</summary>
    public required TimeSpan RequestTimeout { get; init; }

    /// <summary><c>LOG_FORMAT</c> / <c>--log-format</c>: <c>json</c> (default) or <c>text</c>.</summary>
    public required bool JsonLogs { get; init; }

    /// <summary>Whether <paramref name="url"/> is <see cref="ScaiVaultUrl"/> or on <see cref="AllowedUrls"/>.</summary>
    public bool Allows(Uri url) => SameServer(url, ScaiVaultUrl) || AllowedUrls.Any(allowed => SameServer(url, allowed));

    /// <summary>Scheme, host, port and path; <see cref="Uri"/> already lower-cases scheme and host, and a trailing slash says nothing.</summary>
    private static bool SameServer(Uri a, Uri b) =>
        string.Equals(a.GetLeftPart(UriPartial.Path).TrimEnd('/'), b.GetLeftPart(UriPartial.Path).TrimEnd('/'), StringComparison.Ordinal);
}
