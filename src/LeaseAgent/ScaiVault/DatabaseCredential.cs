namespace LeaseAgent.ScaiVault;

/// <summary>A minted database login. <see cref="ToString"/> never shows the password.</summary>
public sealed record DatabaseCredential(string Username, string Password)
{
    public override string ToString() => $"DatabaseCredential {{ Username = {Username} }}";
}
