using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Text;

namespace ScaiVault.CsiProvider.Tests.Infrastructure.DriverEmulation;

/// <summary>One <c>secretObjects[].data[]</c> entry of a SecretProviderClass.</summary>
public sealed record SecretObjectData(string ObjectName, string Key);

/// <summary>One <c>secretObjects[]</c> entry: the Kubernetes Secret the driver keeps in sync with the mount.</summary>
public sealed record SecretObject(string SecretName, string Type, IReadOnlyList<SecretObjectData> Data);

/// <summary>
/// The data of the Kubernetes Secret the driver would create or update for a <c>secretObjects</c> entry, computed
/// from the mounted files as the SecretProviderClassPodStatus controller does (secrets-store-csi-driver v1.6.0
/// <c>controllers/secretproviderclasspodstatus_controller.go</c> <c>Reconcile</c>, which calls
/// <c>fileutil.GetMountedFiles</c>, then <c>pkg/util/secretutil/secret.go</c> <c>ValidateSecretObject</c>,
/// <c>GetSecretType</c> and <c>GetSecretData</c> with <c>GetCertPart</c> for <c>kubernetes.io/tls</c>). Errors carry
/// the driver's messages. This is a test double of no Kubernetes API: only the data computation is emulated.
/// </summary>
public static class SecretSync
{
    public const string TlsType = "kubernetes.io/tls";
    public const string TlsCertKey = "tls.crt";
    public const string TlsPrivateKeyKey = "tls.key";

    private const string CertificateLabel = "CERTIFICATE";

    /// <summary>The Secret's <c>data</c> for <paramref name="secretObject"/> from the mount at <paramref name="targetPath"/>.</summary>
    public static IReadOnlyDictionary<string, byte[]> SecretData(string targetPath, SecretObject secretObject)
    {
        Validate(secretObject);
        var type = secretObject.Type.Trim();
        var files = MountedFiles.Get(targetPath);

        var data = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (var entry in secretObject.Data)
        {
            var objectName = entry.ObjectName.Trim();
            var key = entry.Key.Trim();
            if (objectName.Length == 0)
            {
                throw new SecretSyncException("object name in secretObjects.data");
            }

            if (key.Length == 0)
            {
                throw new SecretSyncException("key in secretObjects.data is empty");
            }

            if (!files.TryGetValue(objectName, out var file))
            {
                throw new SecretSyncException($"file matching objectName {objectName} not found in the pod");
            }

            var content = File.ReadAllBytes(file);
            data[key] = type == TlsType ? CertPart(content, key, file) : content;
        }

        return data;
    }

    /// <summary><c>ValidateSecretObject</c>: the controller skips (and logs) such an entry.</summary>
    public static void Validate(SecretObject secretObject)
    {
        if (secretObject.SecretName.Length == 0)
        {
            throw new SecretSyncException("secret name is empty");
        }

        if (secretObject.Type.Length == 0)
        {
            throw new SecretSyncException("secret type is empty");
        }

        if (secretObject.Data.Count == 0)
        {
            throw new SecretSyncException("data is empty");
        }
    }

    /// <summary><c>GetCertPart</c>.</summary>
    private static byte[] CertPart(byte[] content, string key, string file)
    {
        try
        {
            return key switch
            {
                TlsPrivateKeyKey => PrivateKey(content),
                TlsCertKey => Certificates(content),
                _ => throw new SecretSyncException($"key '{key}' is not supported. Only 'tls.key' and 'tls.crt' are supported"),
            };
        }
        catch (SecretSyncException e) when (key is TlsPrivateKeyKey or TlsCertKey)
        {
            throw new SecretSyncException($"failed to get cert data from file {file}, err: {e.Message}");
        }
    }

    /// <summary><c>getCert</c>: every CERTIFICATE block, re-encoded, in order.</summary>
    private static byte[] Certificates(byte[] content)
    {
        var certificates = new StringBuilder();
        foreach (var (label, der) in PemBlocks(content).Where(b => b.Label == CertificateLabel))
        {
            certificates.Append(Encode(label, der));
        }

        return certificates.Length > 0 ? Encoding.ASCII.GetBytes(certificates.ToString()) : throw Pkcs12NotPorted();
    }

    /// <summary>
    /// <c>getPrivateKey</c>: the last non-CERTIFICATE block, tried as PKCS#1 RSA, PKCS#8 (RSA → PKCS#1, EC → SEC 1) and
    /// SEC 1 EC, re-encoded as <c>RSA PRIVATE KEY</c> or <c>EC PRIVATE KEY</c>. As in Go, a block none of them parses
    /// gives an empty <c>PRIVATE KEY</c> block rather than an error.
    /// </summary>
    private static byte[] PrivateKey(byte[] content)
    {
        var der = PemBlocks(content).LastOrDefault(b => b.Label != CertificateLabel).Der ?? throw Pkcs12NotPorted();
        var label = "PRIVATE KEY";
        var derKey = Array.Empty<byte>();

        using (var rsa = RSA.Create())
        {
            if (TryImport((out int read) => rsa.ImportRSAPrivateKey(der, out read), der.Length))
            {
                (label, derKey) = ("RSA PRIVATE KEY", rsa.ExportRSAPrivateKey());
            }
        }

        if (Pkcs8Algorithm(der) is { } algorithm)
        {
            switch (algorithm)
            {
                case "1.2.840.113549.1.1.1":
                    using (var rsa = RSA.Create())
                    {
                        rsa.ImportPkcs8PrivateKey(der, out _);
                        (label, derKey) = ("RSA PRIVATE KEY", rsa.ExportRSAPrivateKey());
                    }

                    break;
                case "1.2.840.10045.2.1":
                    using (var ec = ECDsa.Create())
                    {
                        ec.ImportPkcs8PrivateKey(der, out _);
                        (label, derKey) = ("EC PRIVATE KEY", ec.ExportECPrivateKey());
                    }

                    break;
                default:
                    throw new SecretSyncException("unknown private key type found while getting key. Only rsa and ecdsa are supported");
            }
        }

        using (var ec = ECDsa.Create())
        {
            if (TryImport((out int read) => ec.ImportECPrivateKey(der, out read), der.Length))
            {
                (label, derKey) = ("EC PRIVATE KEY", ec.ExportECPrivateKey());
            }
        }

        return Encoding.ASCII.GetBytes(Encode(label, derKey));
    }

    /// <summary>The algorithm OID of a PKCS#8 <c>PrivateKeyInfo</c>, or null when <paramref name="der"/> is not one.</summary>
    private static string? Pkcs8Algorithm(byte[] der)
    {
        try
        {
            var info = new AsnReader(der, AsnEncodingRules.DER).ReadSequence();
            info.ReadInteger();
            var algorithm = info.ReadSequence().ReadObjectIdentifier();
            info.ReadOctetString();
            return algorithm;
        }
        catch (AsnContentException)
        {
            return null;
        }
    }

    /// <summary>Go's x509 parsers refuse trailing data, so the whole block must be read.</summary>
    private static bool TryImport(ImportKey import, int length)
    {
        try
        {
            import(out var read);
            return read == length;
        }
        catch (CryptographicException)
        {
            return false;
        }
    }

    /// <summary>Go's <c>pem.Decode</c> loop: every block in order, text between blocks ignored.</summary>
    private static List<(string Label, byte[] Der)> PemBlocks(byte[] content)
    {
        var blocks = new List<(string, byte[])>();
        var text = Encoding.ASCII.GetString(content).AsSpan();
        while (PemEncoding.TryFind(text, out var fields))
        {
            blocks.Add((text[fields.Label].ToString(), Convert.FromBase64String(text[fields.Base64Data].ToString())));
            text = text[fields.Location.End..];
        }

        return blocks;
    }

    /// <summary>Go's <c>pem.EncodeToMemory</c>: 64-character lines, and a newline after the END line.</summary>
    private static string Encode(string label, byte[] der)
    {
        if (der.Length == 0)
        {
            return $"-----BEGIN {label}-----\n-----END {label}-----\n";
        }

        return new string(PemEncoding.Write(label, der)).ReplaceLineEndings("\n") + "\n";
    }

    /// <summary>Without a PEM block Go falls back to <c>pkcs12.ToPEM(data, "")</c>, which this emulation does not port.</summary>
    private static SecretSyncException Pkcs12NotPorted() =>
        new("no PEM block of the wanted kind; the driver would now try the data as PKCS#12, which the emulation does not port");
}

internal delegate void ImportKey(out int bytesRead);

/// <summary>The driver's SecretProviderClassPodStatus controller would not sync the Secret (and would log this).</summary>
public sealed class SecretSyncException(string message) : Exception(message);
