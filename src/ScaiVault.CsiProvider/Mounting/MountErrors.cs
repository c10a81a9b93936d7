using System.Globalization;
using System.Net;
using Grpc.Core;
using ScaiVault.Client;

namespace ScaiVault.CsiProvider.Mounting;

/// <summary>
/// How a failed ScaiVault call becomes the gRPC status the driver shows in the pod's events (brief §7.4). Messages
/// name the objects, the ScaiVault path, ScaiVault's error code and request id; never a token or a value.
/// </summary>
internal static class MountErrors
{
    public static StatusCode Code(ScaiVaultException e) => e switch
    {
        { Status: HttpStatusCode.Unauthorized } or { IsStaleToken: true } => StatusCode.Unauthenticated,
        { Status: HttpStatusCode.Forbidden } => StatusCode.PermissionDenied,
        { Status: HttpStatusCode.NotFound } => StatusCode.NotFound,
        { Status: HttpStatusCode.TooManyRequests } or { Code: ErrorCodes.RateLimited } => StatusCode.ResourceExhausted,

        // No answer (connection failed, timed out), a server error, or an answer that cannot be used: the driver
        // retries UNAVAILABLE in-call, then the kubelet with backoff.
        { Status: null } or { Status: >= HttpStatusCode.InternalServerError } or { Code: ErrorCodes.MalformedResponse } => StatusCode.Unavailable,
        { Status: HttpStatusCode.BadRequest or HttpStatusCode.UnprocessableEntity } => StatusCode.InvalidArgument,

        // A redirect or another refusal: the provider's configuration or ScaiVault's state must change first.
        _ => StatusCode.FailedPrecondition,
    };

    public static MountRequestException Read(ScaiVaultException e, IReadOnlyList<MountObject> objects, string serverUrl, string audience, TimeSpan budget)
    {
        var code = Code(e);
        var hint = code switch
        {
            StatusCode.Unauthenticated => $"; ScaiVault did not accept the pod's service-account token for audience '{audience}' (even after one fresh exchange): check that ScaiVault trusts this cluster's token issuer and audience",
            StatusCode.PermissionDenied => "; the pod's service account may not read this secret: grant it in ScaiVault",
            StatusCode.NotFound => "; check path (and version) in the SecretProviderClass",
            StatusCode.ResourceExhausted when e.RetryAfter is { } wait => string.Create(CultureInfo.InvariantCulture, $"; ScaiVault asked to retry after {wait.TotalSeconds:0.#} s, later than what is left of this Mount's budget of {budget.TotalSeconds:0.#} s, so the kubelet will retry with backoff"),
            _ => string.Empty,
        };
        var requestId = e.RequestId is { } id ? ", request id " + id : string.Empty;
        return new MountRequestException(code, $"{Describe(objects, serverUrl)}: {e.Message} (error {e.Code}{requestId}){hint}");
    }

    public static MountRequestException TimedOut(IReadOnlyList<MountObject> objects, string serverUrl, TimeSpan budget) =>
        new(StatusCode.Unavailable, string.Create(CultureInfo.InvariantCulture, $"{Describe(objects, serverUrl)}: ScaiVault did not answer within this Mount's budget of {budget.TotalSeconds:0.#} s (--request-timeout, capped by the driver's deadline)"));

    public static MountRequestException FieldMissing(MountObject item, string serverUrl) =>
        new(StatusCode.NotFound, $"{Name(item)}: the secret at ScaiVault path {item.Path}{Pinned(item)} on {serverUrl} has no field '{item.Field}'; check field in the SecretProviderClass");

    /// <summary>
    /// <c>encoding</c> does not fit the value: FAILED_PRECONDITION, not INVALID_ARGUMENT, because the request is valid
    /// on its own; the secret's content is not in the form the SecretProviderClass declares, and one of the two must change.
    /// </summary>
    public static MountRequestException NotDecodable(MountObject item, string problem) =>
        new(StatusCode.FailedPrecondition, $"{Name(item)}: field '{item.Field}' of ScaiVault path {item.Path}{Pinned(item)} {problem}, so encoding {EncodingName(item.Encoding)} cannot decode it; fix the secret or the object's encoding");

    public static string Name(MountObject item) => $"objects[{item.Index}] ({item.ObjectName})";

    private static string Describe(IReadOnlyList<MountObject> objects, string serverUrl) =>
        $"{string.Join(", ", objects.Select(Name))} at ScaiVault path {objects[0].Path}{Pinned(objects[0])} on {serverUrl}";

    private static string Pinned(MountObject item) => item.Version is { } v ? " version " + v.ToString(CultureInfo.InvariantCulture) : string.Empty;

    private static string EncodingName(SecretEncoding encoding) => encoding switch
    {
        SecretEncoding.Base64 => "base64",
        SecretEncoding.Hex => "hex",
        _ => "utf-8",
    };
}
