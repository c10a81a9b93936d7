using Npgsql;

namespace LeaseAgent.Configuration;

/// <summary>libpq's <c>sslmode</c> names, which apps and the published file use, mapped to Npgsql's.</summary>
public static class SslModes
{
    public static readonly IReadOnlyList<string> Names = ["disable", "allow", "prefer", "require", "verify-ca", "verify-full"];

    public static SslMode ToNpgsql(string libpqName) => libpqName switch
    {
        "disable" => SslMode.Disable,
        "allow" => SslMode.Allow,
        "prefer" => SslMode.Prefer,
        "require" => SslMode.Require,
        "verify-ca" => SslMode.VerifyCA,
        "verify-full" => SslMode.VerifyFull,
        _ => throw new ArgumentOutOfRangeException(nameof(libpqName), libpqName, "not a libpq sslmode"),
    };
}
