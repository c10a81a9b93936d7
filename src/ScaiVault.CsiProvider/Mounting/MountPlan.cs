namespace ScaiVault.CsiProvider.Mounting;

/// <summary>
/// A validated Mount request: everything the provider needs to read ScaiVault and answer, and nothing raw.
/// Built only by <see cref="MountRequestParser"/>, so holding one means every object and the token passed validation.
/// </summary>
/// <param name="Objects">At least one, in the SecretProviderClass's order; object names are unique and safe file paths.</param>
/// <param name="ScaiVaultUrl">The provider's default server, or the SecretProviderClass's allowed <c>scaivaultUrl</c>.</param>
/// <param name="Audience">The token audience used (the SecretProviderClass's <c>audience</c>, else the provider's default).</param>
/// <param name="Token">The pod's own service-account token for <paramref name="Audience"/>.</param>
/// <param name="DefaultMode">The request's <c>permission</c> (0644 by the driver); never 0.</param>
/// <param name="Pod">Who asks, from the kubelet's pod-info keys (which pod authors cannot spoof): for logs and caches.</param>
public sealed record MountPlan(
    IReadOnlyList<MountObject> Objects,
    Uri ScaiVaultUrl,
    string Audience,
    ServiceAccountToken Token,
    int DefaultMode,
    PodIdentity Pod);

/// <summary>One item of the SecretProviderClass's <c>objects</c> list.</summary>
/// <param name="Index">Its position in <c>objects</c>, from 0, as error messages name it.</param>
/// <param name="ObjectName">The file's path relative to the mount, and the <c>secretObjects</c> key.</param>
/// <param name="Path">The ScaiVault secret path.</param>
/// <param name="Field">One top-level key of the secret's <c>data</c>, or null for all of it.</param>
/// <param name="Mode">The file mode bits (1–511): the object's <c>mode</c>, else the request's default.</param>
/// <param name="Version">A pinned ScaiVault secret version, or null for the current one.</param>
/// <param name="Encoding">How the field's string value is decoded into the file's bytes.</param>
public sealed record MountObject(int Index, string ObjectName, string Path, string? Field, int Mode, int? Version, SecretEncoding Encoding);

/// <summary><c>encoding</c> of an object (only with <c>field</c>).</summary>
public enum SecretEncoding
{
    /// <summary><c>utf-8</c>, the default: the value's text as UTF-8.</summary>
    Utf8,

    /// <summary><c>base64</c>: the value is base64 of the file's bytes.</summary>
    Base64,

    /// <summary><c>hex</c>: the value is hex of the file's bytes.</summary>
    Hex,
}

/// <summary>The kubelet's pod-info keys (<c>podInfoOnMount: true</c>); null where the request has none.</summary>
public sealed record PodIdentity(string? Namespace, string? Name, string? Uid, string? ServiceAccount)
{
    public override string ToString() => $"{Namespace ?? "?"}/{Name ?? "?"} (uid {Uid ?? "?"}, service account {ServiceAccount ?? "?"})";
}

/// <summary>
/// A pod's service-account JWT. A class, not a record, so that no generated <c>ToString</c> or equality ever
/// prints or compares the token by accident.
/// </summary>
public sealed class ServiceAccountToken(string value, DateTimeOffset? expiresAt)
{
    /// <summary>The JWT. Never log it.</summary>
    public string Value { get; } = value;

    /// <summary>The kubelet's <c>expirationTimestamp</c>, when it sent a parseable one.</summary>
    public DateTimeOffset? ExpiresAt { get; } = expiresAt;

    public override string ToString() => "[service-account token]";
}
