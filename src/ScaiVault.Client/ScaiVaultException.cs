using System.Net;

namespace ScaiVault.Client;

/// <summary>
/// A failed ScaiVault call: the HTTP status (0 when no answer came), the contract's error code and the
/// server's request id. Messages carry no secrets: they are built from codes, never from request bodies.
/// </summary>
public sealed class ScaiVaultException : Exception
{
    public ScaiVaultException(HttpStatusCode? status, string code, string message, string? requestId = null, TimeSpan? retryAfter = null, Exception? inner = null)
        : base(message, inner)
    {
        Status = status;
        Code = code;
        RequestId = requestId;
        RetryAfter = retryAfter;
    }

    public HttpStatusCode? Status { get; }

    /// <summary>The contract's <c>error.code</c>, or ours for failures without an answer (<c>connection_failed</c>, <c>timeout</c>, <c>malformed_response</c>).</summary>
    public string Code { get; }

    public string? RequestId { get; }

    public TimeSpan? RetryAfter { get; }

    /// <summary>
    /// The lease a successful answer named although the agent could not use it (no password, an absurd duration, a
    /// credential it cannot write safely): the server holds that lease, so the caller must revoke it.
    /// </summary>
    public string? LeaseId { get; init; }

    /// <summary>
    /// Whether the server may have acted on the request although no usable answer came: an attempt timed out, the
    /// connection broke after the request went out, or a 2xx answer could not be used. A generate that failed this
    /// way may have minted a lease, which the caller must find by its <c>client_ref</c> and revoke.
    /// </summary>
    public bool MayHaveTakenEffect { get; init; }

    /// <summary>The contract's retry rule: rate limits, unavailability, internal errors, timeouts and connection failures.</summary>
    public bool IsTransient => Code is ErrorCodes.RateLimited or ErrorCodes.ServiceUnavailable or ErrorCodes.InternalError
        or ErrorCodes.ConnectionFailed or ErrorCodes.Timeout
        || Status is HttpStatusCode.ServiceUnavailable or HttpStatusCode.BadGateway or HttpStatusCode.GatewayTimeout or HttpStatusCode.TooManyRequests;

    /// <summary>The lease is gone at the server: expired, revoked, past its cap, or never known.</summary>
    public bool IsLeaseGone => Code == ErrorCodes.LeaseNotFound || (Status == HttpStatusCode.NotFound && Code != ErrorCodes.EngineNotFound && Code != ErrorCodes.RoleNotFound);

    /// <summary>The same failure, known to have possibly taken effect at the server.</summary>
    internal ScaiVaultException WithMayHaveTakenEffect() =>
        MayHaveTakenEffect ? this : new(Status, Code, Message, RequestId, RetryAfter, this) { LeaseId = LeaseId, MayHaveTakenEffect = true };

    /// <summary>The ScaiVault token must be exchanged again.</summary>
    public bool IsStaleToken => Code is ErrorCodes.TokenExpired or ErrorCodes.TokenInvalid;
}

/// <summary>Error codes of the contract, plus ours for failures that never reached an answer.</summary>
public static class ErrorCodes
{
    public const string TokenExpired = "token_expired";
    public const string TokenInvalid = "token_invalid";
    public const string RateLimited = "rate_limited";
    public const string ServiceUnavailable = "service_unavailable";
    public const string InternalError = "internal_error";
    public const string InvalidRequest = "invalid_request";
    public const string ValidationError = "validation_error";
    public const string LeaseNotFound = "lease_not_found";
    public const string EngineNotFound = "engine_not_found";
    public const string RoleNotFound = "role_not_found";
    public const string ConnectionFailed = "connection_failed";
    public const string Timeout = "timeout";
    public const string MalformedResponse = "malformed_response";
    public const string TokenFileUnreadable = "token_file_unreadable";
    public const string ClientSecretUnreadable = "client_secret_unreadable";
    public const string UnexpectedRedirect = "unexpected_redirect";
}
