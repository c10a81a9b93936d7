namespace ScaiVault.Emulator.Auth;

internal sealed record IssuedToken(string AccessToken, DateTimeOffset ExpiresAt, int ExpiresInSeconds);
