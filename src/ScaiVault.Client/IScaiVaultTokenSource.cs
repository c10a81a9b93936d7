namespace ScaiVault.Client;

/// <summary>Supplies the bearer token for ScaiVault calls.</summary>
public interface IScaiVaultTokenSource
{
    ValueTask<string> GetTokenAsync(CancellationToken cancellationToken);

    /// <summary>Forgets the cached token, after ScaiVault said it is expired or invalid.</summary>
    void Invalidate();
}
