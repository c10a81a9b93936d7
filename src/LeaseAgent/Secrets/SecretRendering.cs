using ScaiVault.Client;

namespace LeaseAgent.Secrets;

/// <summary>A <c>SECRETS</c> mapping's file bytes: <see cref="SecretValue.Render"/>, shared with the CSI provider.</summary>
public static class SecretRendering
{
    /// <exception cref="SecretFieldMissingException">The secret has no such field; the message names the mapping.</exception>
    public static byte[] Render(this SecretValue value, SecretMapping mapping)
    {
        ArgumentNullException.ThrowIfNull(value);
        ArgumentNullException.ThrowIfNull(mapping);
        return value.Render(mapping.Field, $"mapping '{mapping}'");
    }
}
