using System.Text;
using Microsoft.Extensions.Configuration;
using ReportingService.Tests.Support;

namespace ReportingService.Tests;

/// <summary>What the reload path accepts from the credential file, and the settings it is driven by.</summary>
public sealed class CredentialDocumentTests
{
    private static readonly TestUser User = new("v_readonly_8f3k2", "s3cret-pa55");

    private static string Valid(int generation = 3) => CredentialFile.Document("db.internal", 5432, "reporting", User, generation);

    [Fact]
    public void CompleteDocument_IsParsed_WithTheServicesApplicationName()
    {
        var credential = DbCredential.Parse(Encoding.UTF8.GetBytes(Valid()), "reporting-service", out var problem);

        Assert.Null(problem);
        Assert.NotNull(credential);
        Assert.Equal((User.Name, "db.internal", 5432, "reporting", 3), (credential.Username, credential.Host, credential.Port, credential.Database, credential.Generation));
        Assert.Contains("Application Name=reporting-service", credential.ConnectionString, StringComparison.Ordinal);
        Assert.DoesNotContain(User.Password, credential.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void EveryPrefixOfADocument_IsRejected()
    {
        var bytes = Encoding.UTF8.GetBytes(Valid());
        for (var length = 0; length < bytes.Length; length++)
        {
            Assert.Null(DbCredential.Parse(bytes.AsMemory(0, length), "reporting-service", out var problem));
            Assert.NotNull(problem);
            Assert.DoesNotContain(User.Password, problem, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("username")]
    [InlineData("password")]
    [InlineData("host")]
    [InlineData("port")]
    [InlineData("database")]
    [InlineData("connection_string")]
    [InlineData("generation")]
    public void MissingField_IsRejected(string field)
    {
        var document = CredentialFile.Document("db.internal", 5432, "reporting", User, 3, edit: json => json.Remove(field));

        Assert.Null(DbCredential.Parse(Encoding.UTF8.GetBytes(document), "reporting-service", out _));
    }

    [Fact]
    public void MixedOrMistypedDocuments_AreRejected()
    {
        string[] documents =
        [
            CredentialFile.Document("db.internal", 5432, "reporting", User, 3, edit: json => json["connection_string"] = "Host=db.internal;Port=5432;Database=reporting;Username=v_other;Password=s3cret-pa55"),
            CredentialFile.Document("db.internal", 5432, "reporting", User, 3, edit: json => json["password"] = "another"),
            CredentialFile.Document("db.internal", 5432, "reporting", User, 3, edit: json => json["port"] = "5432"),
            CredentialFile.Document("db.internal", 5432, "reporting", User, 3, edit: json => json["generation"] = 0),
            "[]",
            Valid() + "{}",
        ];

        foreach (var document in documents)
        {
            Assert.Null(DbCredential.Parse(Encoding.UTF8.GetBytes(document), "reporting-service", out var problem));
            Assert.NotNull(problem);
        }
    }

    [Fact]
    public void SameGenerationAndUser_IsTheSameCredential()
    {
        var first = DbCredential.Parse(Encoding.UTF8.GetBytes(Valid(3)), "reporting-service", out _)!;

        Assert.True(first.IsSameAs(DbCredential.Parse(Encoding.UTF8.GetBytes(Valid(3)), "reporting-service", out _)));
        Assert.False(first.IsSameAs(DbCredential.Parse(Encoding.UTF8.GetBytes(Valid(4)), "reporting-service", out _)));
        Assert.False(first.IsSameAs(null));
    }

    [Fact]
    public void Options_ComeFromTheEnvironmentKeys_AndBadValuesNameTheKey()
    {
        var defaults = ReportingOptions.FromConfiguration(new ConfigurationBuilder().Build());
        Assert.Equal(("/run/secrets/db.json", ReportingOptions.DefaultReportQuery, true, TimeSpan.FromSeconds(30)), (defaults.CredentialsFile, defaults.ReportQuery, defaults.WatchDirectory, defaults.RecheckInterval));

        var set = ReportingOptions.FromConfiguration(Configuration(("DB_CREDENTIALS_FILE", "/tmp/x/db.json"), ("REPORT_QUERY", "SELECT 1"), ("DB_CREDENTIALS_WATCH", "false"), ("DB_CREDENTIALS_RECHECK_SECONDS", "0"), ("LOG_FORMAT", "text")));
        Assert.Equal(("/tmp/x/db.json", "SELECT 1", false, TimeSpan.Zero, "text"), (set.CredentialsFile, set.ReportQuery, set.WatchDirectory, set.RecheckInterval, set.LogFormat));

        Assert.Contains("DB_CREDENTIALS_RECHECK_SECONDS", Assert.Throws<ReportingConfigurationException>(() => ReportingOptions.FromConfiguration(Configuration(("DB_CREDENTIALS_RECHECK_SECONDS", "30s")))).Message, StringComparison.Ordinal);
        Assert.Contains("DB_CREDENTIALS_WATCH", Assert.Throws<ReportingConfigurationException>(() => ReportingOptions.FromConfiguration(Configuration(("DB_CREDENTIALS_WATCH", "maybe")))).Message, StringComparison.Ordinal);
        Assert.Contains("LOG_FORMAT", Assert.Throws<ReportingConfigurationException>(() => ReportingOptions.FromConfiguration(Configuration(("LOG_FORMAT", "xml")))).Message, StringComparison.Ordinal);
    }

    private static IConfiguration Configuration(params (string Key, string Value)[] values) =>
        new ConfigurationBuilder().AddInMemoryCollection(values.Select(v => new KeyValuePair<string, string?>(v.Key, v.Value))).Build();
}
