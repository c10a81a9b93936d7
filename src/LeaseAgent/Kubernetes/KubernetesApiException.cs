namespace LeaseAgent.Kubernetes;

/// <summary>
/// A Kubernetes API call failed. The message names the verb, the Secret and the namespace, the status and the
/// API's reason, and for 401/403 the fix; never a token or a value (the API server's own message is not copied:
/// an admission webhook may echo what it was sent).
/// </summary>
public sealed class KubernetesApiException(string message, int status, bool isTransient) : Exception(message)
{
    /// <summary>The HTTP status, or 0 when no answer came (connection refused, TLS, timeout).</summary>
    public int Status { get; } = status;

    /// <summary>5xx, 429 or no answer: worth another attempt within init's deadline.</summary>
    public bool IsTransient { get; } = isTransient;

    /// <summary>409: the Secret changed since it was read (or was created meanwhile); read it again.</summary>
    public bool IsConflict => Status == 409;
}
