using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;

namespace ScaiVault.CsiProvider.Mounting;

/// <summary>
/// The <c>object_version</c> of a mounted object: <c>"&lt;ScaiVault version&gt;-&lt;config hash&gt;"</c>, e.g. <c>"3-9f86d081"</c>.
/// It changes exactly when the secret gets a new version or the object's configuration changes, so the driver's
/// SecretProviderClassPodStatus (readable by namespace viewers) and the synced Secret follow every change of the
/// file at once. It holds no hash of the content: an unkeyed hash of a secret would let a viewer test guesses.
/// </summary>
internal static class ObjectVersions
{
    /// <summary>Hex digits of the config hash kept: enough to tell one object's configurations apart.</summary>
    private const int ConfigHashHexDigits = 8;

    public static string Of(MountObject item, string serverUrl, int scaiVaultVersion) =>
        scaiVaultVersion.ToString(CultureInfo.InvariantCulture) + "-" + ConfigHash(item, serverUrl);

    /// <summary>
    /// The first 8 hex digits of SHA-256 over everything that decides the file (name, server, path, pinned version,
    /// field, encoding, mode), as a JSON array so that no two configurations share an encoding.
    /// </summary>
    public static string ConfigHash(MountObject item, string serverUrl)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartArray();
            writer.WriteStringValue(item.ObjectName);
            writer.WriteStringValue(serverUrl);
            writer.WriteStringValue(item.Path);
            WriteNumberOrNull(writer, item.Version);
            writer.WriteStringValue(item.Field);
            writer.WriteStringValue(item.Encoding.ToString());
            writer.WriteNumberValue(item.Mode);
            writer.WriteEndArray();
        }

        return Convert.ToHexStringLower(SHA256.HashData(buffer.ToArray()))[..ConfigHashHexDigits];
    }

    private static void WriteNumberOrNull(Utf8JsonWriter writer, int? value)
    {
        if (value is { } number)
        {
            writer.WriteNumberValue(number);
        }
        else
        {
            writer.WriteNullValue();
        }
    }
}
