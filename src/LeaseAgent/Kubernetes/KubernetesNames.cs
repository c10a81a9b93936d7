namespace LeaseAgent.Kubernetes;

/// <summary>What the API server accepts as a Secret's name and as a key of its <c>data</c>, checked before any call.</summary>
public static class KubernetesNames
{
    private const int MaxLength = 253;

    /// <summary>A DNS subdomain (RFC 1123): lower-case alphanumerics, '-' and '.', starting and ending alphanumeric, at most 253.</summary>
    public static bool IsSecretName(string name) =>
        name.Length is > 0 and <= MaxLength
        && name.Split('.').All(label => label.Length > 0 && IsLowerAlphanumeric(label[0]) && IsLowerAlphanumeric(label[^1]) && label.All(c => IsLowerAlphanumeric(c) || c == '-'));

    /// <summary>
    /// A Secret (ConfigMap) key: <c>[-._a-zA-Z0-9]+</c>, at most 253, and not <c>.</c>, <c>..</c> or starting with
    /// <c>..</c> (the kubelet would write it as a path that leaves the volume).
    /// </summary>
    public static bool IsSecretKey(string key) =>
        key.Length is > 0 and <= MaxLength
        && key.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '.' or '_')
        && key != "." && !key.StartsWith("..", StringComparison.Ordinal);

    /// <summary>Why <paramref name="key"/> is not a key, for an error message.</summary>
    public const string KeyRule = "a Secret key is 1 to 253 of a-z, A-Z, 0-9, '-', '_', '.', and not '.' or starting with '..'";

    /// <summary>Why a name is not a Secret name, for an error message.</summary>
    public const string NameRule = "a Secret name is a DNS subdomain: at most 253 of a-z, 0-9, '-', '.', starting and ending with a letter or digit";

    private static bool IsLowerAlphanumeric(char c) => char.IsAsciiDigit(c) || char.IsAsciiLetterLower(c);
}
