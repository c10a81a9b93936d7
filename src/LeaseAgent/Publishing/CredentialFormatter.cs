using System.Globalization;
using System.Text;
using System.Text.Json;
using LeaseAgent.Configuration;
using LeaseAgent.Postgres;
using LeaseAgent.ScaiVault;

namespace LeaseAgent.Publishing;

/// <summary>Builds the published document and renders it in the configured <c>OUTPUT_FORMAT</c>.</summary>
public static class CredentialFormatter
{
    public static CredentialDocument CreateDocument(DatabaseOptions database, DatabaseCredential credential, LeaseGrant grant, int generation, DateTimeOffset now) => new()
    {
        Username = credential.Username,
        Password = credential.Password,
        Host = database.Host,
        Port = database.Port,
        Database = database.Name,
        SslMode = database.SslMode,
        ConnectionString = CredentialProbe.ConnectionString(database, credential, forProbe: false),
        Uri = PostgresUri(database, credential),
        LeaseId = grant.LeaseId,
        LeaseDurationSeconds = (long)grant.Duration.TotalSeconds,
        Renewable = grant.Renewable,
        IssuedAt = grant.IssuedAt ?? now,
        ExpiresAt = grant.ExpiresAt ?? now + grant.Duration,
        Generation = generation,
    };

    /// <exception cref="InvalidOperationException">The username or password holds a character no output format may carry.</exception>
    public static byte[] Render(CredentialDocument document, OutputFormat format)
    {
        // Defence in depth: the lease answer's parser already refuses such credentials. A line break would let a
        // hostile server add variables to the env file or lines to the pgpass file, so nothing of the kind is written.
        if (!CredentialText.IsSafe(document.Username) || !CredentialText.IsSafe(document.Password))
        {
            throw new InvalidOperationException("the credential's username or password contains a control character or line separator; refusing to write it");
        }

        return format switch
        {
            OutputFormat.Json => JsonSerializer.SerializeToUtf8Bytes(document, PublishingJsonContext.Default.CredentialDocument),
            OutputFormat.Env => Encoding.UTF8.GetBytes(Env(document)),
            OutputFormat.Pgpass => Encoding.UTF8.GetBytes(Pgpass(document)),
            OutputFormat.Uri => Encoding.UTF8.GetBytes(document.Uri + "\n"),
            _ => throw new ArgumentOutOfRangeException(nameof(format), format, null),
        };
    }

    /// <summary>libpq URI with user and password percent-encoded.</summary>
    public static string PostgresUri(DatabaseOptions database, DatabaseCredential credential)
    {
        var host = database.Host.Contains(':', StringComparison.Ordinal) ? $"[{database.Host}]" : database.Host;
        return string.Create(
            CultureInfo.InvariantCulture,
            $"postgresql://{Uri.EscapeDataString(credential.Username)}:{Uri.EscapeDataString(credential.Password)}@{host}:{database.Port}/{Uri.EscapeDataString(database.Name)}?sslmode={database.SslMode}");
    }

    /// <summary>
    /// libpq environment variables plus <c>DATABASE_URL</c>, one <c>KEY='value'</c> per line: readable by
    /// <c>set -a; . file</c> in a shell and by dotenv loaders.
    /// </summary>
    private static string Env(CredentialDocument d)
    {
        var builder = new StringBuilder();
        void Line(string key, string value) => builder.Append(key).Append("='").Append(value.Replace("'", "'\\''", StringComparison.Ordinal)).Append("'\n");
        Line("PGHOST", d.Host);
        Line("PGPORT", d.Port.ToString(CultureInfo.InvariantCulture));
        Line("PGDATABASE", d.Database);
        Line("PGUSER", d.Username);
        Line("PGPASSWORD", d.Password);
        Line("PGSSLMODE", d.SslMode);
        Line("DATABASE_URL", d.Uri);
        Line("LEASE_ID", d.LeaseId);
        Line("LEASE_EXPIRES_AT", d.ExpiresAt.ToString("O", CultureInfo.InvariantCulture));
        Line("LEASE_GENERATION", d.Generation.ToString(CultureInfo.InvariantCulture));
        return builder.ToString();
    }

    /// <summary>One <c>.pgpass</c> line; <c>:</c> and <c>\</c> escaped as libpq requires.</summary>
    private static string Pgpass(CredentialDocument d)
    {
        static string Escape(string value) => value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace(":", "\\:", StringComparison.Ordinal);
        return string.Create(CultureInfo.InvariantCulture, $"{Escape(d.Host)}:{d.Port}:{Escape(d.Database)}:{Escape(d.Username)}:{Escape(d.Password)}\n");
    }
}
