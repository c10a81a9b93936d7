namespace ScaiVault.Emulator.Dynamic;

/// <summary>The engine's root login, read from the JSON secret at <c>root_credentials_path</c> on every use.</summary>
internal sealed record RootCredentials(string Username, string Password);
