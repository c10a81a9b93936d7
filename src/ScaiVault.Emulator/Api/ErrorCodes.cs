namespace ScaiVault.Emulator.Api;

/// <summary>The <c>error.code</c> values of the contract (docs/scaivault-api.md) plus the emulator's own.</summary>
internal static class ErrorCodes
{
    public const string AuthenticationRequired = "authentication_required";
    public const string TokenExpired = "token_expired";
    public const string TokenInvalid = "token_invalid";
    public const string AccessDenied = "access_denied";
    public const string InsufficientScope = "insufficient_scope";
    public const string InvalidRequest = "invalid_request";
    public const string InvalidDuration = "invalid_duration";
    public const string InvalidConfig = "invalid_config";
    public const string InvalidRole = "invalid_role";
    public const string InvalidSecretType = "invalid_secret_type";
    public const string ValidationError = "validation_error";
    public const string LeaseNotFound = "lease_not_found";
    public const string EngineNotFound = "engine_not_found";
    public const string RoleNotFound = "role_not_found";
    public const string SecretNotFound = "secret_not_found";
    public const string SubscriptionNotFound = "subscription_not_found";
    public const string EngineExists = "engine_exists";
    public const string RoleExists = "role_exists";
    public const string RateLimited = "rate_limited";
    public const string ServiceUnavailable = "service_unavailable";
    public const string InternalError = "internal_error";
    public const string NotFound = "not_found";
    public const string MethodNotAllowed = "method_not_allowed";
    public const string UnsupportedMediaType = "unsupported_media_type";
    public const string PayloadTooLarge = "payload_too_large";

    /// <summary>The code for a bare status, used where no handler chose a more specific one.</summary>
    public static string ForStatus(int status) => status switch
    {
        400 => InvalidRequest,
        401 => AuthenticationRequired,
        403 => AccessDenied,
        404 => NotFound,
        405 => MethodNotAllowed,
        413 => PayloadTooLarge,
        415 => UnsupportedMediaType,
        422 => ValidationError,
        429 => RateLimited,
        503 or 502 or 504 => ServiceUnavailable,
        >= 500 => InternalError,
        _ => InvalidRequest,
    };
}
