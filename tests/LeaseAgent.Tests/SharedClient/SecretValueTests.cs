using System.Text;
using LeaseAgent.Secrets;
using ScaiVault.Client;

namespace LeaseAgent.Tests.SharedClient;

/// <summary>
/// The byte-identity promise of issue 12: a file the CSI provider mounts holds exactly the bytes <c>lease-agent
/// init</c> (and the refresher) writes for the same <c>path[#field]</c>. Both go from ScaiVault's answer through
/// <c>SecretResponseParser</c> to <see cref="SecretValue.Render"/>; these tests pin those bytes, so a change to
/// either (indenting, escaping, the trailing newline, quoting strings) fails here before it splits the two.
/// </summary>
public sealed class SecretValueTests
{
    /// <summary>As ScaiVault answers <c>GET /v1/secrets/{path}</c>, with its own spacing and escapes in <c>data</c>.</summary>
    private const string Answer = """
        {"path": "apps/billing/db", "version": 7, "data": {"password": "p+ss<'é\"\\x", "port": 5432, "ratio": 1.50,
         "tls": {"mode":"verify-full", "ca": null}, "enabled": true, "tags": ["a","b"], "none": null}, "created_at": "2026-01-01T00:00:00Z"}
        """;

    private static readonly SecretValue Secret = SecretResponseParser.Parse(Encoding.UTF8.GetBytes(Answer), "apps/billing/db");

    [Fact]
    public void Parse_KeepsThePathAndVersion()
    {
        Assert.Equal("apps/billing/db", Secret.Path);
        Assert.Equal(7, Secret.Version);
    }

    [Fact]
    public void Render_WholeSecret_IsTheDataObjectIndented_WithTheWritersEscapes_AndANewline()
    {
        // Two-space indent, "\n" line ends and the end, numbers as sent, strings re-escaped by the default encoder
        // (+ < ' and non-ASCII as \uXXXX): what init has written since SECRETS existed.
        const string expected = "{\n"
            + "  \"password\": \"p\\u002Bss\\u003C\\u0027\\u00E9\\u0022\\\\x\",\n"
            + "  \"port\": 5432,\n"
            + "  \"ratio\": 1.50,\n"
            + "  \"tls\": {\n"
            + "    \"mode\": \"verify-full\",\n"
            + "    \"ca\": null\n"
            + "  },\n"
            + "  \"enabled\": true,\n"
            + "  \"tags\": [\n"
            + "    \"a\",\n"
            + "    \"b\"\n"
            + "  ],\n"
            + "  \"none\": null\n"
            + "}\n";

        AssertBytes(expected, Secret.Render(field: null));
    }

    [Theory]
    [InlineData("password", "p+ss<'é\"\\x")] // a string: its value, unquoted and unescaped, no newline
    [InlineData("port", "5432")] // a number: its JSON text as ScaiVault sent it
    [InlineData("ratio", "1.50")]
    [InlineData("tls", "{\"mode\":\"verify-full\", \"ca\": null}")] // an object: its JSON text as sent, spacing and all
    [InlineData("enabled", "true")] // a bool
    [InlineData("tags", "[\"a\",\"b\"]")]
    [InlineData("none", "null")]
    public void Render_OneField_IsAStringsRawValue_OrAnythingElsesJsonText(string field, string expected) =>
        AssertBytes(expected, Secret.Render(field));

    [Fact]
    public void Render_ASecretsMapping_WritesTheSameBytesAsTheLibrary()
    {
        foreach (var field in new string?[] { null, "password", "port", "tls", "enabled" })
        {
            Assert.Equal(Secret.Render(field), Secret.Render(new SecretMapping("apps/billing/db", field, "/run/secrets/f")));
        }
    }

    [Fact]
    public void Render_AMissingField_NamesThePathFieldAndWhoAskedForIt_NeverAValue()
    {
        var library = Assert.Throws<SecretFieldMissingException>(() => Secret.Render("nope", "object 'db-password'"));
        var agent = Assert.Throws<SecretFieldMissingException>(() => Secret.Render(new SecretMapping("apps/billing/db", "nope", "/f")));

        Assert.Equal("secret apps/billing/db has no field 'nope' (object 'db-password')", library.Message);
        Assert.Equal("secret apps/billing/db has no field 'nope' (mapping 'apps/billing/db#nope -> /f')", agent.Message);
        Assert.Equal(("apps/billing/db", "nope"), (agent.Path, agent.Field));
    }

    private static void AssertBytes(string expected, byte[] actual) =>
        Assert.Equal(Encoding.UTF8.GetBytes(expected), actual);
}
