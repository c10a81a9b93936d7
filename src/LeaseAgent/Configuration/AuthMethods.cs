namespace LeaseAgent.Configuration;

/// <summary>
/// libpq's <c>require_auth</c> method names (<c>DB_REQUIRE_AUTH</c>), mapped to Npgsql's <c>Require Auth</c> ones.
/// Npgsql checks the server's authentication request against them before it answers, so a server that asks
/// for a method not listed gets no password at all.
/// </summary>
public static class AuthMethods
{
    /// <summary>
    /// SCRAM never sends the password, only a proof of it, so even a server that has not proved itself (no TLS,
    /// or TLS without certificate verification) learns nothing it can log in with elsewhere.
    /// </summary>
    public const string Default = "scram-sha-256";

    public static readonly IReadOnlyList<string> Names = ["scram-sha-256", "md5", "password", "gss", "sspi", "none"];

    /// <summary>
    /// Methods that hand the server the password itself (<c>password</c>), a hash it can crack offline and replay
    /// (<c>md5</c>), or that prove nothing about the credential (<c>none</c>, a server that lets anyone in).
    /// </summary>
    public static readonly IReadOnlyList<string> Weak = ["password", "md5", "none"];

    public static string ToNpgsql(IEnumerable<string> libpqNames) => string.Join(',', libpqNames.Select(name => name switch
    {
        "scram-sha-256" => "ScramSHA256",
        "md5" => "MD5",
        "password" => "Password",
        "gss" => "GSS",
        "sspi" => "SSPI",
        "none" => "None",
        _ => throw new ArgumentOutOfRangeException(nameof(libpqNames), name, "not a libpq require_auth method"),
    }));
}
