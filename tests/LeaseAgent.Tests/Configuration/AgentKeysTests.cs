using LeaseAgent.Configuration;
using Microsoft.Extensions.Configuration;
using ScaiVault.Hosting.Configuration;

namespace LeaseAgent.Tests.Configuration;

/// <summary>The catalogue itself: one declaration per key, and what its <c>secret</c> flag guarantees.</summary>
public sealed class AgentKeysTests
{
    /// <summary>Values a secret key could be fed by mistake; none may come back in an error.</summary>
    private static readonly string[] MistypedSecrets = ["hunter2 with spaces", "line\nbreak-s3cr3t", "tab\ts3cr3t", "\u001b[2Js3cr3t"];

    public static TheoryData<string> SecretKeyNames() => [.. AgentKeys.All.Where(key => key.IsSecret).Select(key => key.Name)];

    [Fact]
    public void All_DeclaresEachKeyOnce_WithOneLineHelpAndItsFlag()
    {
        Assert.Equal(AgentKeys.All.Count, AgentKeys.All.Select(key => key.Name).Distinct().Count());
        Assert.All(AgentKeys.All, key =>
        {
            Assert.Matches("^[A-Z][A-Z0-9_]+$", key.Name);
            Assert.False(string.IsNullOrWhiteSpace(key.Help), key.Name);
            Assert.DoesNotContain('\n', key.Help);
            Assert.DoesNotContain('|', key.Help.Replace("\\|", "", StringComparison.Ordinal)); // a Markdown table cell
            Assert.Equal("--" + key.Name.ToLowerInvariant().Replace('_', '-'), key.Flag);
        });
    }

    [Fact]
    public void All_LiteralDefaults_ParseToTheDefault()
    {
        Assert.All(AgentKeys.All.Where(key => key.DefaultText is not null), key => Assert.True(key.MeansDefault(key.DefaultText!), key.Name));
    }

    [Fact]
    public void OptionRecords_TakeTheirDefaultsFromTheCatalogue()
    {
        Assert.Equal(AgentKeys.LeaseRotateBefore.Default, new LeaseOptions { Engine = "e", Role = "r" }.RotateBefore);
        Assert.Equal(AgentKeys.DbRequireAuth.Default, new DatabaseOptions { Host = "h", Name = "n" }.RequireAuth);
        Assert.Equal(AgentKeys.OutputMode.Default, new OutputOptions { File = "/f", StateDirectory = "/s" }.Mode);
        Assert.Equal(AgentKeys.PathGenerate.Default, ScaiVaultPaths.Default.Generate);
        Assert.Equal(AgentKeys.ReloadSignal.Default, new ReloadOptions().Signal);
    }

    [Fact]
    public void SwitchMappings_HaveEveryKeysFlag_AndOnlyThose()
    {
        Assert.Equal(AgentKeys.All.Select(key => key.Flag).Order(), AgentConfiguration.SwitchMappings.Keys.Order());
        Assert.All(AgentKeys.All, key => Assert.Equal(key.Name, AgentConfiguration.SwitchMappings[key.Flag]));
    }

    [Fact]
    public void SecretKeys_AreTheCataloguesSecrets()
    {
        Assert.Equal(["SCAIVAULT_TOKEN"], AgentConfiguration.SecretKeys);
    }

    [Theory]
    [MemberData(nameof(SecretKeyNames))]
    public void Build_SecretKeyAsAFlag_IsRefusedWithoutTheValue(string name)
    {
        var flag = AgentKeys.All.Single(key => key.Name == name).Flag;

        var error = Assert.Throws<ConfigurationException>(() => AgentConfiguration.Build([flag, "s3cr3t-value"]));

        Assert.Equal(name, error.Key);
        Assert.DoesNotContain("s3cr3t", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(SecretKeyNames))]
    public void Load_MistypedSecret_IsRefusedWithoutQuotingIt(string name)
    {
        foreach (var value in MistypedSecrets)
        {
            var values = new Dictionary<string, string?>(AgentConfigurationTests.Valid) { [name] = value };

            var error = Assert.Throws<ConfigurationException>(() => AgentConfiguration.Load(new ConfigurationBuilder().AddInMemoryCollection(values).Build()));

            Assert.Equal(name, error.Key);
            Assert.DoesNotContain("s3cr3t", error.Message, StringComparison.Ordinal);
            Assert.Contains("the value", error.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Setting_Secret_IsNeverQuoted_ButOtherKeysAre()
    {
        var secret = Setting.Optional<int?>("SOME_PASSWORD", "—", value => SettingParsers.WholeNumber(1, 9)(value), "A test key.", isSecret: true);
        var plain = Setting.Optional<int?>("SOME_COUNT", "—", value => SettingParsers.WholeNumber(1, 9)(value), "A test key.");

        var hidden = Assert.Throws<ConfigurationException>(() => secret.Parse("s3cr3t"));
        var shown = Assert.Throws<ConfigurationException>(() => plain.Parse("s3cr3t"));

        Assert.Equal("SOME_PASSWORD: the value is not a whole number from 1 to 9", hidden.Message);
        Assert.Equal("SOME_COUNT: 's3cr3t' is not a whole number from 1 to 9", shown.Message);
    }

    [Fact]
    public void Setting_RequiredAndUnset_NamesTheKeyAndTheFix()
    {
        var reader = new SettingReader(_ => "  ");

        var error = Assert.Throws<ConfigurationException>(() => AgentKeys.DbHost.Read(reader));

        Assert.Equal("DB_HOST: is required: set it to the database host the app connects to", error.Message);
    }

    [Theory]
    [InlineData("99ms", "SCAIVAULT_TIMEOUT: '99ms' is too short; use at least 100ms")]
    [InlineData("301s", "SCAIVAULT_TIMEOUT: '301s' is too long; use at most 5m")]
    [InlineData("soon", "SCAIVAULT_TIMEOUT: 'soon' is not a duration; use a number with a unit, e.g. 90s, 15m or 1h")]
    public void Duration_OutOfBounds_NamesTheBoundInItsOwnUnit(string text, string message)
    {
        Assert.Equal(message, Assert.Throws<ConfigurationException>(() => AgentKeys.RequestTimeout.Parse(text)).Message);
    }
}
