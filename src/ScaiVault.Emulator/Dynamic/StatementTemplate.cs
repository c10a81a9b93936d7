using System.Globalization;
using System.Text.RegularExpressions;

namespace ScaiVault.Emulator.Dynamic;

/// <summary>
/// Role statement templates: <c>{{name}}</c> (alias <c>{{username}}</c>) is the lease's username,
/// <c>{{password}}</c> its SCRAM-SHA-256 verifier (creation statements only) and
/// <c>{{expiration}}</c> the lease's end as Postgres reads it in <c>VALID UNTIL</c>.
/// </summary>
internal static partial class StatementTemplate
{
    public const string Name = "{{name}}";
    public const string Username = "{{username}}";
    public const string Password = "{{password}}";
    public const string Expiration = "{{expiration}}";

    private static readonly string[] Known = [Name, Username, Password, Expiration];

    /// <summary>The first placeholder the emulator would not substitute, or null.</summary>
    public static string? FindUnknownPlaceholder(string statement) =>
        Placeholder().Matches(statement).Select(m => m.Value).FirstOrDefault(p => !Known.Contains(p, StringComparer.Ordinal));

    public static string Render(string statement, string username, string? passwordVerifier, DateTimeOffset expiration) =>
        statement
            .Replace(Name, username, StringComparison.Ordinal)
            .Replace(Username, username, StringComparison.Ordinal)
            .Replace(Password, passwordVerifier ?? "", StringComparison.Ordinal)
            .Replace(Expiration, FormatExpiration(expiration), StringComparison.Ordinal);

    /// <summary>
    /// <c>2026-11-28 11:00:00+00</c>, rounded up to the whole second so that the database never
    /// ends a user's validity before its lease ends.
    /// </summary>
    public static string FormatExpiration(DateTimeOffset expiration)
    {
        var utc = expiration.UtcDateTime;
        var whole = utc.Ticks % TimeSpan.TicksPerSecond == 0 ? utc : utc.AddTicks(TimeSpan.TicksPerSecond - (utc.Ticks % TimeSpan.TicksPerSecond));
        return whole.ToString("yyyy-MM-dd HH:mm:ss'+00'", CultureInfo.InvariantCulture);
    }

    [GeneratedRegex(@"\{\{[^{}]*\}\}", RegexOptions.CultureInvariant)]
    private static partial Regex Placeholder();
}
