using System.Text;
using System.Text.Json;
using LeaseAgent.Configuration;
using LeaseAgent.Publishing;
using LeaseAgent.ScaiVault;
using Npgsql;

namespace LeaseAgent.Tests.Publishing;

public sealed class CredentialFormatterTests
{
    private static readonly DatabaseOptions Database = new() { Host = "db.internal", Port = 5432, Name = "reporting", SslMode = "require" };
    private static readonly DatabaseCredential Credential = new("v_readonly_8f3k2", "p@ss:w'rd/\\x");
    private static readonly DateTimeOffset Now = new(2026, 11, 28, 10, 0, 0, TimeSpan.Zero);

    private static CredentialDocument Document() => CredentialFormatter.CreateDocument(
        Database,
        Credential,
        new LeaseGrant { LeaseId = "dyn_42", Duration = TimeSpan.FromHours(1), IssuedAt = Now, ExpiresAt = Now.AddHours(1) },
        generation: 3,
        Now);

    [Fact]
    public void Json_HasTheArchitectureShape()
    {
        var json = Encoding.UTF8.GetString(CredentialFormatter.Render(Document(), OutputFormat.Json));
        using var document = JsonDocument.Parse(json);
        var root = document.RootElement;

        Assert.Equal("v_readonly_8f3k2", root.GetProperty("username").GetString());
        Assert.Equal(Credential.Password, root.GetProperty("password").GetString());
        Assert.Equal("db.internal", root.GetProperty("host").GetString());
        Assert.Equal(5432, root.GetProperty("port").GetInt32());
        Assert.Equal("reporting", root.GetProperty("database").GetString());
        Assert.Equal("require", root.GetProperty("sslmode").GetString());
        Assert.Equal("dyn_42", root.GetProperty("lease_id").GetString());
        Assert.Equal(3600, root.GetProperty("lease_duration_seconds").GetInt64());
        Assert.True(root.GetProperty("renewable").GetBoolean());
        Assert.Equal(Now, root.GetProperty("issued_at").GetDateTimeOffset());
        Assert.Equal(Now.AddHours(1), root.GetProperty("expires_at").GetDateTimeOffset());
        Assert.Equal(3, root.GetProperty("generation").GetInt32());

        var connection = new NpgsqlConnectionStringBuilder(root.GetProperty("connection_string").GetString());
        Assert.Equal("v_readonly_8f3k2", connection.Username);
        Assert.Equal(Credential.Password, connection.Password);
        Assert.Equal(SslMode.Require, connection.SslMode);
    }

    [Fact]
    public void Uri_PercentEncodesThePassword_AndRoundTrips()
    {
        var uri = new Uri(Document().Uri);

        Assert.Equal("postgresql", uri.Scheme);
        Assert.Equal("db.internal", uri.Host);
        Assert.Equal(5432, uri.Port);
        Assert.Equal("/reporting", uri.AbsolutePath);
        Assert.Equal("?sslmode=require", uri.Query);
        var userInfo = uri.UserInfo.Split(':');
        Assert.Equal(Credential.Username, Uri.UnescapeDataString(userInfo[0]));
        Assert.Equal(Credential.Password, Uri.UnescapeDataString(userInfo[1]));
        Assert.Equal(Document().Uri + "\n", Encoding.UTF8.GetString(CredentialFormatter.Render(Document(), OutputFormat.Uri)));
    }

    [Fact]
    public void Pgpass_EscapesColonsAndBackslashes()
    {
        var line = Encoding.UTF8.GetString(CredentialFormatter.Render(Document(), OutputFormat.Pgpass));

        Assert.Equal("db.internal:5432:reporting:v_readonly_8f3k2:p@ss\\:w'rd/\\\\x\n", line);
    }

    [Fact]
    public void Env_QuotesValuesForShells()
    {
        var text = Encoding.UTF8.GetString(CredentialFormatter.Render(Document(), OutputFormat.Env));
        var lines = text.TrimEnd('\n').Split('\n');

        Assert.Contains("PGHOST='db.internal'", lines);
        Assert.Contains("PGPORT='5432'", lines);
        Assert.Contains("PGUSER='v_readonly_8f3k2'", lines);
        Assert.Contains("PGPASSWORD='p@ss:w'\\''rd/\\x'", lines);
        Assert.Contains("PGSSLMODE='require'", lines);
        Assert.Contains(lines, l => l.StartsWith("DATABASE_URL='postgresql://", StringComparison.Ordinal));
    }

    [Fact]
    public void Env_IsReadBackExactlyByAShell()
    {
        var file = Path.Combine(Path.GetTempPath(), $"env-{Guid.NewGuid():N}");
        File.WriteAllBytes(file, CredentialFormatter.Render(Document(), OutputFormat.Env));
        try
        {
            using var shell = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("sh", ["-c", $". '{file}'; printf %s \"$PGPASSWORD\""]) { RedirectStandardOutput = true })!;
            var echoed = shell.StandardOutput.ReadToEnd();
            shell.WaitForExit();

            Assert.Equal(Credential.Password, echoed);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public void ToString_NeverShowsThePassword() =>
        Assert.DoesNotContain(Credential.Password, Document().ToString(), StringComparison.Ordinal);

    [Theory]
    [InlineData("v_r\nPGHOST=evil", "pw-ok-123")]
    [InlineData("v_r\r", "pw-ok-123")]
    [InlineData("v_r\0", "pw-ok-123")]
    [InlineData("v_r", "pw-bad\n123")]
    [InlineData("v_r", "pw-bad\r123")]
    [InlineData("v_r", "pw-bad\0123")]
    public void Render_ControlCharacterInCredential_ThrowsRatherThanWrites_InEveryFormat(string username, string password)
    {
        var document = Document() with { Username = username, Password = password };
        foreach (var format in Enum.GetValues<OutputFormat>())
        {
            var error = Assert.Throws<InvalidOperationException>(() => CredentialFormatter.Render(document, format));
            Assert.DoesNotContain("pw-", error.Message, StringComparison.Ordinal);
        }
    }
}
