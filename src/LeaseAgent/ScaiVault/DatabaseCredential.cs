namespace LeaseAgent.ScaiVault;

/// <summary>A minted database login. <see cref="ToString"/> never shows the password.</summary>
public sealed record DatabaseCredential(string Username, string Password)
{
    public override string ToString() => $"DatabaseCredential {{ Username = {Username} }}";
}

/// <summary>What a username or password may contain to be written into every output format.</summary>
public static class CredentialText
{
    /// <summary>
    /// False for control characters (CR, LF, NUL, ESC, …) and the Unicode line and paragraph separators: line-based
    /// readers of the env and pgpass formats (dotenv ports, <c>docker --env-file</c>, systemd, libpq) would take
    /// them for the end of an entry, so a hostile server could add variables or pgpass lines.
    /// </summary>
    public static bool IsSafe(string value) =>
        !value.Any(c => char.IsControl(c) || c is '\u2028' or '\u2029');
}
