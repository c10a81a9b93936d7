using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace ScaiVault.Client;

/// <summary>
/// <see cref="ScaiVaultClientOptions.CaFile"/> (the agent's <c>SCAIVAULT_CA_FILE</c>): trusts the CAs of a PEM bundle
/// <em>in addition to</em> the system store for ScaiVault and ScaiKey. A certificate the system already accepts
/// passes as before; one that fails only on its chain is checked again against the bundle (expiry, server-auth usage and all); a wrong host name is never forgiven.
/// </summary>
/// <remarks>
/// <see cref="SslClientAuthenticationOptions.CertificateChainPolicy"/> with a custom trust store would replace the
/// system roots instead of adding to them, which would break a ScaiVault behind a public CA; hence the callback.
/// Everything used here (X509Chain, PEM import) is plain framework code without reflection, so it is AOT-safe.
/// </remarks>
internal sealed class CaBundleTrust
{
    /// <summary>id-kp-serverAuth: the certificate must be usable by a TLS server, as SslStream itself demands.</summary>
    private static readonly Oid ServerAuthentication = new("1.3.6.1.5.5.7.3.1", null);

    private readonly X509Certificate2Collection _bundle;

    private CaBundleTrust(X509Certificate2Collection bundle) => _bundle = bundle;

    public int Count => _bundle.Count;

    /// <summary>Reads the bundle; an unreadable or certificate-less file is a configuration error naming <paramref name="setting"/>.</summary>
    public static CaBundleTrust Load(string path, string setting)
    {
        var bundle = new X509Certificate2Collection();
        try
        {
            bundle.ImportFromPemFile(path);
        }
        catch (Exception e) when (e is CryptographicException or IOException or UnauthorizedAccessException)
        {
            throw new ScaiVaultSettingException(setting, $"cannot read the CA bundle {path} ({e.GetType().Name}); it must be PEM (-----BEGIN CERTIFICATE-----)");
        }

        return bundle.Count > 0
            ? new CaBundleTrust(bundle)
            : throw new ScaiVaultSettingException(setting, $"{path} contains no PEM certificate; it must hold the CA that signed ScaiVault's certificate (-----BEGIN CERTIFICATE-----)");
    }

    /// <summary>The <see cref="RemoteCertificateValidationCallback"/>.</summary>
    public bool Validate(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        if (errors == SslPolicyErrors.None)
        {
            return true; // the system store trusts it
        }

        // Only an untrusted chain may be rescued by the bundle; a name mismatch or a missing certificate never is.
        if (errors != SslPolicyErrors.RemoteCertificateChainErrors || certificate is not X509Certificate2 server)
        {
            return false;
        }

        using var custom = new X509Chain();
        var policy = custom.ChainPolicy;
        policy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        policy.CustomTrustStore.AddRange(_bundle);

        // Intermediates may come from the bundle or from the server's handshake.
        policy.ExtraStore.AddRange(_bundle);
        if (chain is not null)
        {
            policy.ExtraStore.AddRange(chain.ChainPolicy.ExtraStore);
        }

        // The same as SslStream's default (SslClientAuthenticationOptions.CertificateRevocationCheckMode), so that
        // a private CA without a reachable CRL behaves like a public one does here.
        policy.RevocationMode = X509RevocationMode.NoCheck;
        policy.ApplicationPolicy.Add(ServerAuthentication);

        try
        {
            return custom.Build(server);
        }
        finally
        {
            // Chain elements are copies the chain created; release their native handles now, not at finalization.
            foreach (var element in custom.ChainElements)
            {
                element.Certificate.Dispose();
            }
        }
    }
}
