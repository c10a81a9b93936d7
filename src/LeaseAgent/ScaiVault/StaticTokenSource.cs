using ScaiVault.Client;

namespace LeaseAgent.ScaiVault;

/// <summary><c>SCAIVAULT_TOKEN</c>: a fixed bearer token, for development only.</summary>
public sealed class StaticTokenSource(string token) : IScaiVaultTokenSource
{
    public ValueTask<string> GetTokenAsync(CancellationToken cancellationToken) => ValueTask.FromResult(token);

    public void Invalidate()
    {
        // A static token cannot be refreshed; the caller's single retry will fail the same way and surface the error.
    }
}
