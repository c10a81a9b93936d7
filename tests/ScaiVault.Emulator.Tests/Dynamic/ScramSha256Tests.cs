using System.Text.RegularExpressions;
using LeaseAgent.Testing;
using ScaiVault.Emulator.Dynamic;
using ScaiVault.Emulator.Tests.Infrastructure;
using Xunit;

namespace ScaiVault.Emulator.Tests.Dynamic;

public class ScramSha256Tests
{
    [Fact]
    public void CreateVerifier_HasPostgresStoredForm() =>
        Assert.Matches(
            new Regex(@"^SCRAM-SHA-256\$4096:[A-Za-z0-9+/]{22}==\$[A-Za-z0-9+/]{43}=:[A-Za-z0-9+/]{43}=$"),
            ScramSha256.CreateVerifier("pencil"));

    [Fact]
    public void CreateVerifier_SaltsEveryCall() =>
        Assert.NotEqual(ScramSha256.CreateVerifier("pencil"), ScramSha256.CreateVerifier("pencil"));

    [Fact]
    public async Task CreateVerifier_WithPostgresSalt_EqualsTheVerifierPostgresStores()
    {
        // Postgres hashes the plaintext itself here; with its salt and iteration count our
        // computation must give exactly the same StoredKey and ServerKey.
        var admin = await TestPostgres.GetAdminConnectionStringAsync();
        var role = "scram_probe_" + TestEngine.NewSuffix();
        await TestEngine.SqlAsync(admin, $"SET password_encryption = 'scram-sha-256'; CREATE ROLE \"{role}\" PASSWORD 'correct horse battery'");
        try
        {
            var stored = await TestEngine.ScalarAsync<string>(admin, $"SELECT rolpassword FROM pg_authid WHERE rolname = '{role}'");
            var match = Regex.Match(stored, @"^SCRAM-SHA-256\$(\d+):([^$]+)\$");
            Assert.True(match.Success, stored);
            var ours = ScramSha256.CreateVerifier(
                "correct horse battery", Convert.FromBase64String(match.Groups[2].Value), int.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture));
            Assert.Equal(stored, ours);
        }
        finally
        {
            await TestEngine.SqlAsync(admin, $"DROP ROLE \"{role}\"");
        }
    }
}
