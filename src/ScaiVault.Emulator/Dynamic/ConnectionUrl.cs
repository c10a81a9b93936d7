using System.Globalization;
using Npgsql;

namespace ScaiVault.Emulator.Dynamic;

/// <summary>
/// An engine's <c>connection_url</c>: a <c>postgresql://{{username}}:{{password}}@host:port/db?sslmode=…</c>
/// URL or an Npgsql key/value string with <c>Username={{username}};Password={{password}}</c>.
/// The root credentials are set on a parsed builder, never spliced into the text, so that no
/// character in a password can change the meaning of the URL.
/// </summary>
internal static class ConnectionUrl
{
    private const string UserPlaceholder = "{{username}}";
    private const string PasswordPlaceholder = "{{password}}";

    /// <summary>Null when the template is usable, otherwise what is wrong with it.</summary>
    public static string? Validate(string template)
    {
        try
        {
            _ = Parse(template);
            return null;
        }
        catch (FormatException e)
        {
            return e.Message;
        }
    }

    public static string Build(string template, string username, string password)
    {
        var builder = Parse(template);
        builder.Username = username;
        builder.Password = password;
        return builder.ConnectionString;
    }

    private static NpgsqlConnectionStringBuilder Parse(string template)
    {
        if (!template.Contains(UserPlaceholder, StringComparison.Ordinal) || !template.Contains(PasswordPlaceholder, StringComparison.Ordinal))
        {
            throw new FormatException("connection_url must contain {{username}} and {{password}}, which the root credentials fill in.");
        }

        var builder = template.StartsWith("postgresql://", StringComparison.OrdinalIgnoreCase)
            || template.StartsWith("postgres://", StringComparison.OrdinalIgnoreCase)
                ? FromUrl(template)
                : FromKeyValue(template);

        // One short-lived connection per operation: the emulator holds no idle sessions in a
        // target database (they would block DROP DATABASE) and always uses the current root secret.
        builder.Pooling = false;
        builder.CommandTimeout = 30;
        builder.ApplicationName ??= "scaivault-emulator";
        return builder;
    }

    private static NpgsqlConnectionStringBuilder FromUrl(string template)
    {
        var marked = template.Replace(UserPlaceholder, "u", StringComparison.Ordinal).Replace(PasswordPlaceholder, "p", StringComparison.Ordinal);
        if (!Uri.TryCreate(marked, UriKind.Absolute, out var uri) || string.IsNullOrEmpty(uri.Host))
        {
            throw new FormatException("connection_url is not a valid postgresql:// URL.");
        }

        if (uri.UserInfo != "u:p")
        {
            throw new FormatException("The user part of connection_url must be exactly {{username}}:{{password}}.");
        }

        var builder = new NpgsqlConnectionStringBuilder
        {
            Host = uri.DnsSafeHost,
            Port = uri.Port > 0 ? uri.Port : 5432,
            Timeout = 5,
        };
        var database = Uri.UnescapeDataString(uri.AbsolutePath.Trim('/'));
        if (database.Length > 0)
        {
            builder.Database = database;
        }

        foreach (var pair in uri.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var equals = pair.IndexOf('=', StringComparison.Ordinal);
            var key = Uri.UnescapeDataString(equals < 0 ? pair : pair[..equals]);
            var value = equals < 0 ? "" : Uri.UnescapeDataString(pair[(equals + 1)..]);
            switch (key)
            {
                case "sslmode":
                    builder.SslMode = ParseSslMode(value);
                    break;
                case "connect_timeout" when int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds):
                    builder.Timeout = seconds;
                    break;
                case "application_name":
                    builder.ApplicationName = value;
                    break;
                default:
                    throw new FormatException($"connection_url parameter '{key}' is not supported (use sslmode, connect_timeout or application_name).");
            }
        }

        return builder;
    }

    private static NpgsqlConnectionStringBuilder FromKeyValue(string template)
    {
        NpgsqlConnectionStringBuilder builder;
        try
        {
            builder = new NpgsqlConnectionStringBuilder(template);
        }
        catch (ArgumentException e)
        {
            throw new FormatException($"connection_url is neither a postgresql:// URL nor a valid connection string: {e.Message}");
        }

        if (builder.Username != UserPlaceholder || builder.Password != PasswordPlaceholder)
        {
            throw new FormatException("A key/value connection_url must have Username={{username}} and Password={{password}}.");
        }

        if (string.IsNullOrEmpty(builder.Host))
        {
            throw new FormatException("connection_url names no host.");
        }

        return builder;
    }

    private static SslMode ParseSslMode(string value) => value switch
    {
        "disable" => SslMode.Disable,
        "allow" => SslMode.Allow,
        "prefer" => SslMode.Prefer,
        "require" => SslMode.Require,
        "verify-ca" => SslMode.VerifyCA,
        "verify-full" => SslMode.VerifyFull,
        _ => throw new FormatException($"sslmode '{value}' is not one of disable, allow, prefer, require, verify-ca, verify-full."),
    };
}
