using Grpc.Core;
using ScaiVault.CsiProvider.Mounting;
using static ScaiVault.CsiProvider.Tests.Mounting.MountRequests;

namespace ScaiVault.CsiProvider.Tests.Mounting;

public class MountRequestParserTests
{
    private static MountPlan Parse(Dictionary<string, string> attributes, string secrets = "null", string permission = "420") =>
        MountRequestParser.Parse(Request(attributes, secrets, permission), Options);

    private static MountRequestException Refused(Dictionary<string, string> attributes, string secrets = "null", string permission = "420")
    {
        var e = Assert.Throws<MountRequestException>(() => Parse(attributes, secrets, permission));
        Assert.DoesNotContain(Token, e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(SecretSentinel, e.Message, StringComparison.Ordinal);
        return e;
    }

    private static string Invalid(string objects)
    {
        var e = Refused(Attributes(objects));
        Assert.Equal(StatusCode.InvalidArgument, e.Code);
        return e.Message;
    }

    [Fact]
    public void Parse_DriverShapedRequest_ReturnsThePlan()
    {
        var attributes = Attributes("""
            - objectName: db.json
              path: environments/production/billing/database
            - objectName: db-password
              path: environments/production/billing/database
              field: password
              mode: "0640"
            - objectName: tls/tls.crt
              path: certs/billing
              field: certificate
              version: "3"
              encoding: base64
            """);

        var plan = Parse(attributes);

        Assert.Equal(
            [
                new MountObject(0, "db.json", "environments/production/billing/database", null, 420, null, SecretEncoding.Utf8),
                new MountObject(1, "db-password", "environments/production/billing/database", "password", 416, null, SecretEncoding.Utf8),
                new MountObject(2, "tls/tls.crt", "certs/billing", "certificate", 420, 3, SecretEncoding.Base64),
            ],
            plan.Objects);
        Assert.Equal(new Uri("https://scaivault.scailabs.ai"), plan.ScaiVaultUrl);
        Assert.Equal("scaivault", plan.Audience);
        Assert.Equal(Token, plan.Token.Value);
        Assert.Equal(new DateTimeOffset(2026, 12, 1, 22, 0, 0, TimeSpan.Zero), plan.Token.ExpiresAt);
        Assert.Equal(420, plan.DefaultMode);
        Assert.Equal(new PodIdentity("reporting", "reporting-7d9f-abcde", "5a3c0000-0000-4000-8000-000000000001", "reporting"), plan.Pod);
    }

    [Fact]
    public void Parse_ObjectsAsJson_AreAYamlListToo()
    {
        var plan = Parse(Attributes("""[{"objectName": "a", "path": "x/y", "mode": "0600"}]"""));

        Assert.Equal(384, Assert.Single(plan.Objects).Mode);
    }

    [Fact]
    public void Plan_ToString_NeverShowsTheToken()
    {
        var plan = Parse(Attributes());

        Assert.DoesNotContain(Token, plan.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain(Token, plan.Token.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("384", 384)]
    [InlineData("", 420)]
    [InlineData("0", 420)] // never 0: the driver would apply it exactly, and nobody but root could read the files
    public void Parse_Permission_IsTheDefaultMode(string permission, int expected)
    {
        var plan = Parse(Attributes(), permission: permission);

        Assert.Equal(expected, plan.DefaultMode);
        Assert.Equal(expected, plan.Objects[0].Mode);
    }

    [Theory]
    [InlineData("0644")]
    [InlineData("512")]
    [InlineData("-1")]
    [InlineData("rw-r--r--")]
    public void Parse_BadPermission_IsInvalidArgumentNamingIt(string permission)
    {
        var e = Refused(Attributes(), permission: permission);

        Assert.Equal(StatusCode.InvalidArgument, e.Code);
        Assert.StartsWith("permission", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("null")]
    [InlineData("")]
    [InlineData("{\"username\":\"" + SecretSentinel + "\"}")]
    public void Parse_Secrets_NullOrAMapAreAccepted(string secrets)
    {
        Assert.Single(Parse(Attributes(), secrets: secrets).Objects);
    }

    [Fact]
    public void Parse_MalformedSecrets_IsInvalidArgumentWithoutQuotingThem()
    {
        var e = Refused(Attributes(), secrets: "{\"password\": " + SecretSentinel + "}");

        Assert.Equal(StatusCode.InvalidArgument, e.Code);
        Assert.StartsWith("secrets", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("{\"objects\": 1}")]
    [InlineData("[\"" + Token + "\"]")]
    [InlineData("not json " + Token)]
    [InlineData("null")]
    public void Parse_AttributesNotAJsonMapOfStrings_IsInvalidArgumentWithoutQuotingThem(string attributes)
    {
        var request = Request(Attributes());
        request.Attributes = attributes;

        var e = Assert.Throws<MountRequestException>(() => MountRequestParser.Parse(request, Options));

        Assert.Equal(StatusCode.InvalidArgument, e.Code);
        Assert.StartsWith("attributes", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(Token, e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("roleName", "")]
    [InlineData("scaivaultURL", "did you mean 'scaivaultUrl'?")]
    [InlineData("Objects", "did you mean 'objects'?")]
    public void Parse_UnknownParameter_IsInvalidArgumentNamingIt(string key, string hint)
    {
        var attributes = Attributes();
        attributes[key] = "some value";

        var e = Refused(attributes);

        Assert.Equal(StatusCode.InvalidArgument, e.Code);
        Assert.Contains($"unknown parameter '{key}'", e.Message, StringComparison.Ordinal);
        Assert.Contains(hint, e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("some value", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_KubeletAndDriverKeys_AreAllowed()
    {
        var attributes = Attributes();
        attributes["csi.storage.k8s.io/some.future.key"] = "x";
        attributes["audience"] = "scaivault";
        attributes["scaivaultUrl"] = "https://scaivault.scailabs.ai";

        Assert.Single(Parse(attributes).Objects);
    }

    [Theory]
    [InlineData("", "objects is required")]
    [InlineData("   ", "objects is required")]
    [InlineData("[]", "objects is an empty list")]
    [InlineData("objectName: db.json\npath: a/b", "objects is not a YAML list")]
    [InlineData("- objectName: [unclosed", "objects is not valid YAML (line 2, column")]
    [InlineData("- a\n---\n- b", "more than one YAML document")]
    [InlineData("- just-a-string", "objects[0] is not a mapping")]
    public void Parse_ObjectsNotAListOfMappings_IsInvalidArgument(string objects, string expected)
    {
        var attributes = Attributes();
        attributes["objects"] = objects;

        var e = Refused(attributes);

        Assert.Equal(StatusCode.InvalidArgument, e.Code);
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_ObjectWithADuplicateKey_IsInvalidArgument()
    {
        var message = Invalid("- objectName: a\n  path: x\n  path: y\n");

        Assert.StartsWith("objects is not valid YAML (line 3", message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_ObjectsMissing_IsInvalidArgument()
    {
        var attributes = Attributes();
        attributes.Remove("objects");

        Assert.Contains("objects is required", Refused(attributes).Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("  secretPath: a/b", "unknown key 'secretPath'; did you mean 'path'?")]
    [InlineData("  objectAlias: x", "unknown key 'objectAlias'; did you mean 'objectName'?")]
    [InlineData("  Field: x", "unknown key 'Field'; did you mean 'field'?")]
    [InlineData("  roleName: x", "unknown key 'roleName'; use objectName, path, field, mode, version, encoding")]
    [InlineData("  field: [a, b]", "field is not a plain value")]
    [InlineData("  field: ''", "field is empty")]
    [InlineData("  mode: \"0999\"", "mode '0999' is not an octal file mode")]
    [InlineData("  mode: \"4755\"", "mode '4755' sets setuid, setgid or sticky bits")]
    [InlineData("  mode: \"1777\"", "mode '1777' sets setuid, setgid or sticky bits")]
    [InlineData("  mode: \"0000\"", "mode '0000' makes the file unreadable")]
    [InlineData("  mode: \"00644\"", "mode '00644' is not an octal file mode")]
    [InlineData("  mode: rw", "mode 'rw' is not an octal file mode")]
    [InlineData("  version: \"0\"", "version '0' is not a ScaiVault secret version")]
    [InlineData("  version: latest", "version 'latest' is not a ScaiVault secret version")]
    [InlineData("  encoding: gzip", "encoding 'gzip' is not one of utf-8, base64, hex")]
    [InlineData("  encoding: base64", "encoding applies to one field's value")]
    public void Parse_BadObjectKey_IsInvalidArgumentNamingObjectAndKey(string line, string expected)
    {
        var message = Invalid($"- objectName: ok\n  path: a/b\n- objectName: db.json\n  path: a/b\n{line}\n");

        Assert.StartsWith("objects[1] (db.json): ", message, StringComparison.Ordinal);
        Assert.Contains(expected, message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("\"0640\"", 416)]
    [InlineData("\"640\"", 416)]
    [InlineData("0777", 511)]
    [InlineData("\"0400\"", 256)]
    public void Parse_Mode_IsOctal(string mode, int expected)
    {
        var plan = Parse(Attributes($"- objectName: a\n  path: x\n  mode: {mode}\n"));

        Assert.Equal(expected, plan.Objects[0].Mode);
    }

    [Fact]
    public void Parse_ObjectWithoutObjectName_IsInvalidArgumentNamingTheIndex()
    {
        Assert.StartsWith("objects[0]: objectName is required", Invalid("- path: a/b\n"), StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_ObjectWithoutPath_IsInvalidArgumentNamingTheObject()
    {
        Assert.StartsWith("objects[0] (db.json): path is required", Invalid("- objectName: db.json\n"), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/etc/passwd", "is an absolute path")]
    [InlineData("../escape", "contains '..'")]
    [InlineData("a/../../escape", "contains '..'")]
    [InlineData("a/..", "contains '..'")]
    [InlineData("./a", "is not a clean path")]
    [InlineData("a/", "is not a clean path")]
    [InlineData("a//b", "is not a clean path")]
    [InlineData("a/./b", "is not a clean path")]
    [InlineData(".", "is not a clean path")]
    [InlineData("..data", "starts with '..'")]
    [InlineData("a\tb", "contains a control character")]
    public void Parse_UnsafeObjectName_IsInvalidArgumentNamingIt(string objectName, string expected)
    {
        var message = Invalid($"- objectName: {System.Text.Json.JsonSerializer.Serialize(objectName)}\n  path: a/b\n");

        Assert.StartsWith("objects[0] (", message, StringComparison.Ordinal);
        Assert.Contains("objectName " + expected, message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_ObjectNameElementOver255Bytes_IsInvalidArgument()
    {
        var atLimit = new string('é', 127) + "x"; // 255 bytes in UTF-8
        Assert.Single(Parse(Attributes($"- objectName: dir/{atLimit}\n  path: a\n")).Objects);

        var message = Invalid($"- objectName: dir/{atLimit}x\n  path: a\n");

        Assert.Contains("has an element of 256 bytes; a file name may have at most 255", message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/abs")]
    [InlineData("a/")]
    [InlineData("a//b")]
    [InlineData("a/../b")]
    [InlineData("a b")]
    [InlineData("a?version=2")]
    [InlineData("a#field")]
    public void Parse_BadSecretPath_IsInvalidArgumentNamingIt(string path)
    {
        var message = Invalid($"- objectName: db.json\n  path: \"{path}\"\n");

        Assert.StartsWith("objects[0] (db.json): path ", message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_DuplicateObjectName_IsInvalidArgumentNamingBoth()
    {
        var message = Invalid("- objectName: db.json\n  path: a\n- objectName: x\n  path: a\n- objectName: db.json\n  path: b\n");

        Assert.Equal("objects[2] (db.json): objectName duplicates objects[0]; each object needs its own file", message);
    }

    [Theory]
    [InlineData("a", "a/b", "objects[1] (a/b): objectName is inside objects[0] (a), which is a file")]
    [InlineData("a/b/c", "a", "objects[0] (a/b/c): objectName is inside objects[1] (a), which is a file")]
    [InlineData("tls/a/b", "tls/a", "objects[0] (tls/a/b): objectName is inside objects[1] (tls/a), which is a file")]
    public void Parse_FileInsideAnotherObjectsFile_IsInvalidArgument(string first, string second, string expected)
    {
        var message = Invalid($"- objectName: {first}\n  path: x\n- objectName: {second}\n  path: x\n");

        Assert.StartsWith(expected, message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_SiblingNamesSharingAPrefix_AreFine()
    {
        Assert.Equal(3, Parse(Attributes("- objectName: a\n  path: x\n- objectName: ab\n  path: x\n- objectName: a-b/c\n  path: x\n")).Objects.Count);
    }

    [Theory]
    [InlineData("https://scaivault.eu.scailabs.ai", "https://scaivault.eu.scailabs.ai/")]
    [InlineData("https://SCAIVAULT.eu.scailabs.ai/", "https://scaivault.eu.scailabs.ai/")]
    [InlineData("https://scaivault.scailabs.ai/", "https://scaivault.scailabs.ai/")]
    public void Parse_AllowedScaivaultUrl_IsUsed(string requested, string expected)
    {
        var attributes = Attributes();
        attributes["scaivaultUrl"] = requested;

        Assert.Equal(new Uri(expected), Parse(attributes).ScaiVaultUrl);
    }

    [Theory]
    [InlineData("https://attacker.example", "is not allowed by this provider")]
    [InlineData("https://scaivault.scailabs.ai.attacker.example", "is not allowed by this provider")]
    [InlineData("https://scaivault.scailabs.ai:8443", "is not allowed by this provider")]
    [InlineData("http://scaivault.scailabs.ai", "is not allowed by this provider")]
    [InlineData("https://user:pw@scaivault.scailabs.ai", "is not an http(s) URL")]
    [InlineData("ftp://scaivault.scailabs.ai", "is not an http(s) URL")]
    [InlineData("scaivault.scailabs.ai", "is not an http(s) URL")]
    public void Parse_ScaivaultUrlNotAllowed_IsInvalidArgumentNamingTheFlag(string requested, string expected)
    {
        var attributes = Attributes();
        attributes["scaivaultUrl"] = requested;

        var e = Refused(attributes);

        Assert.Equal(StatusCode.InvalidArgument, e.Code);
        Assert.StartsWith("scaivaultUrl", e.Message, StringComparison.Ordinal);
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
        if (expected.Contains("not allowed", StringComparison.Ordinal))
        {
            Assert.Contains("--allowed-url", e.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Parse_NoTokens_IsFailedPreconditionNamingAudienceAndTheFix()
    {
        var attributes = Attributes();
        attributes.Remove(MountRequestParser.TokensKey);

        var e = Refused(attributes);

        Assert.Equal(StatusCode.FailedPrecondition, e.Code);
        Assert.Contains("no service-account token for audience 'scaivault'", e.Message, StringComparison.Ordinal);
        Assert.Contains("tokens: none", e.Message, StringComparison.Ordinal);
        Assert.Contains("tokenRequests: [{audience: scaivault}]", e.Message, StringComparison.Ordinal);
        Assert.Contains("--set tokenRequests[0].audience=scaivault", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_TokenOnlyForAnotherAudience_IsFailedPreconditionNamingBoth()
    {
        var e = Refused(Attributes(tokenAudience: "vault"));

        Assert.Equal(StatusCode.FailedPrecondition, e.Code);
        Assert.Contains("audience 'scaivault'", e.Message, StringComparison.Ordinal);
        Assert.Contains("tokens: only for 'vault'", e.Message, StringComparison.Ordinal);
        Assert.Contains("tokenRequests", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_EmptyToken_IsFailedPrecondition()
    {
        var attributes = Attributes();
        attributes[MountRequestParser.TokensKey] = Tokens(("scaivault", ""));

        Assert.Equal(StatusCode.FailedPrecondition, Refused(attributes).Code);
    }

    [Fact]
    public void Parse_AudienceParameter_SelectsThatToken()
    {
        var attributes = Attributes();
        attributes["audience"] = "scaivault-eu";
        attributes[MountRequestParser.TokensKey] = Tokens(("scaivault", "other-token"), ("scaivault-eu", Token));

        var plan = Parse(attributes);

        Assert.Equal("scaivault-eu", plan.Audience);
        Assert.Equal(Token, plan.Token.Value);
    }

    [Fact]
    public void Parse_AudienceParameterWithoutItsToken_NamesThatAudience()
    {
        var attributes = Attributes();
        attributes["audience"] = "scaivault-eu";

        var e = Refused(attributes);

        Assert.Equal(StatusCode.FailedPrecondition, e.Code);
        Assert.Contains("tokenRequests: [{audience: scaivault-eu}]", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_DefaultAudience_ComesFromTheProvider()
    {
        var options = Options with { DefaultAudience = "vault-of-scai" };

        var plan = MountRequestParser.Parse(Request(Attributes(tokenAudience: "vault-of-scai")), options);

        Assert.Equal("vault-of-scai", plan.Audience);
    }

    [Fact]
    public void Parse_MalformedTokens_IsInvalidArgumentWithoutQuotingThem()
    {
        var attributes = Attributes();
        attributes[MountRequestParser.TokensKey] = "{\"scaivault\": \"" + Token + "\"}";

        var e = Refused(attributes);

        Assert.Equal(StatusCode.InvalidArgument, e.Code);
        Assert.StartsWith(MountRequestParser.TokensKey, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_MissingPodInfo_LeavesItUnknown()
    {
        var attributes = Attributes();
        attributes.Remove("csi.storage.k8s.io/pod.uid");
        attributes.Remove("csi.storage.k8s.io/pod.name");

        var pod = Parse(attributes).Pod;

        Assert.Null(pod.Uid);
        Assert.Equal("reporting/? (uid ?, service account reporting)", pod.ToString());
    }
}
