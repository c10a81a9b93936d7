using System.Globalization;
using System.Text.Json;
using Grpc.Core;
using ScaiVault.CsiProvider.Configuration;
using ScaiVault.CsiProvider.V1Alpha1;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace ScaiVault.CsiProvider.Mounting;

/// <summary>
/// Turns the driver's <see cref="MountRequest"/> into a <see cref="MountPlan"/>, or throws a
/// <see cref="MountRequestException"/>: <c>InvalidArgument</c> for anything the SecretProviderClass or pod author can
/// fix, naming the parameter, object and key; <c>FailedPrecondition</c> when the driver sent no token for the
/// audience. Pure: no I/O, no ScaiVault call, so every rule is checked before anything leaves the node.
/// </summary>
public static class MountRequestParser
{
    public const string TokensKey = "csi.storage.k8s.io/serviceAccount.tokens";

    /// <summary>The kubelet's pod-info and token keys. It writes them over the pod's volumeAttributes, so they cannot be spoofed.</summary>
    private const string KubeletPrefix = "csi.storage.k8s.io/";

    /// <summary>The driver's default file mode, 0644, sent as <c>permission: "420"</c>.</summary>
    public const int DriverDefaultMode = 420;

    /// <summary>The parameters a SecretProviderClass (or a pod's volumeAttributes) may set.</summary>
    private static readonly string[] Parameters = ["objects", "audience", "scaivaultUrl"];

    /// <summary>Keys the driver adds besides the kubelet's: the SecretProviderClass's name from the pod's volume.</summary>
    private static readonly string[] DriverKeys = ["secretProviderClass"];

    private static readonly string[] ObjectKeys = ["objectName", "path", "field", "mode", "version", "encoding"];

    /// <summary>Other providers' spellings, so a copied SecretProviderClass gets a hint instead of only a refusal.</summary>
    private static readonly Dictionary<string, string> ObjectKeyHints = new(StringComparer.OrdinalIgnoreCase)
    {
        ["objectAlias"] = "objectName",
        ["fileName"] = "objectName",
        ["secretPath"] = "path",
        ["secretKey"] = "field",
        ["objectVersion"] = "version",
        ["filePermission"] = "mode",
    };

    public static MountPlan Parse(MountRequest request, ProviderOptions options)
    {
        var attributes = ParseAttributes(request.Attributes);
        var defaultMode = ParsePermission(request.Permission);
        CheckSecrets(request.Secrets);
        CheckKeys(attributes);

        var objects = ParseObjects(attributes.GetValueOrDefault("objects"), defaultMode);
        var url = ResolveUrl(attributes.GetValueOrDefault("scaivaultUrl"), options);
        var audience = NonEmpty(attributes.GetValueOrDefault("audience")) ?? options.DefaultAudience;
        var token = FindToken(attributes.GetValueOrDefault(TokensKey), audience);
        var pod = new PodIdentity(
            NonEmpty(attributes.GetValueOrDefault(KubeletPrefix + "pod.namespace")),
            NonEmpty(attributes.GetValueOrDefault(KubeletPrefix + "pod.name")),
            NonEmpty(attributes.GetValueOrDefault(KubeletPrefix + "pod.uid")),
            NonEmpty(attributes.GetValueOrDefault(KubeletPrefix + "serviceAccount.name")));
        return new MountPlan(objects, url, audience, token, defaultMode, pod);
    }

    private static Dictionary<string, string> ParseAttributes(string json)
    {
        try
        {
            return JsonSerializer.Deserialize(json, MountJsonContext.Default.DictionaryStringString)
                ?? throw Invalid("attributes is JSON null; the driver sends a JSON object of strings");
        }
        catch (JsonException)
        {
            // The exception's message would quote the offending text, which may hold a token.
            throw Invalid("attributes is not a JSON object of strings");
        }
    }

    /// <summary>The default file mode. The driver always sends 420; a missing or 0 value falls back to it, since 0 would make every file unreadable.</summary>
    private static int ParsePermission(string text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return DriverDefaultMode;
        }

        if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var mode) || mode > 511)
        {
            throw Invalid($"permission '{Shorten(text)}' is not a file mode in decimal from 0 to 511; the driver sends \"420\" (0644)");
        }

        return mode == 0 ? DriverDefaultMode : mode;
    }

    /// <summary>
    /// The nodePublishSecretRef data. ScaiVault needs none of it (the pod's own token is the credential), but a
    /// malformed value means a driver this provider does not know, so it is refused rather than ignored.
    /// </summary>
    private static void CheckSecrets(string json)
    {
        if (string.IsNullOrWhiteSpace(json) || json.Trim() == "null")
        {
            return;
        }

        try
        {
            _ = JsonSerializer.Deserialize(json, MountJsonContext.Default.DictionaryStringString);
        }
        catch (JsonException)
        {
            throw Invalid("secrets is neither null nor a JSON object of strings");
        }
    }

    private static void CheckKeys(Dictionary<string, string> attributes)
    {
        foreach (var key in attributes.Keys.Order(StringComparer.Ordinal))
        {
            if (Parameters.Contains(key, StringComparer.Ordinal) || DriverKeys.Contains(key, StringComparer.Ordinal) || key.StartsWith(KubeletPrefix, StringComparison.Ordinal))
            {
                continue;
            }

            var hint = Parameters.FirstOrDefault(p => p.Equals(key, StringComparison.OrdinalIgnoreCase)) is { } near ? $"did you mean '{near}'? " : "";
            throw Invalid($"unknown parameter '{Shorten(key)}' (from the SecretProviderClass's parameters or the pod's volumeAttributes); {hint}use {string.Join(", ", Parameters)}");
        }
    }

    private static List<MountObject> ParseObjects(string? yaml, int defaultMode)
    {
        if (string.IsNullOrWhiteSpace(yaml))
        {
            throw Invalid("objects is required: a YAML list of {objectName, path}, e.g. \"- objectName: db.json\\n  path: apps/billing/database\"");
        }

        YamlNode root;
        try
        {
            var stream = new YamlStream();
            stream.Load(new StringReader(yaml));
            root = stream.Documents.Count == 1 ? stream.Documents[0].RootNode
                : throw Invalid("objects holds more than one YAML document; give one list");
        }
        catch (YamlException e)
        {
            throw Invalid($"objects is not valid YAML (line {e.Start.Line}, column {e.Start.Column}): {Innermost(e).Message}");
        }

        if (root is not YamlSequenceNode items)
        {
            throw Invalid("objects is not a YAML list; start each object with '- ', e.g. \"- objectName: db.json\\n  path: apps/billing/database\"");
        }

        if (items.Children.Count == 0)
        {
            throw Invalid("objects is an empty list; name at least one object, or the volume would mount empty");
        }

        var objects = items.Children.Select((item, index) => ParseObject(item, index, defaultMode)).ToList();
        CheckNamesDoNotCollide(objects);
        return objects;
    }

    private static MountObject ParseObject(YamlNode item, int index, int defaultMode)
    {
        if (item is not YamlMappingNode mapping)
        {
            throw Invalid($"objects[{index}] is not a mapping of objectName, path, …");
        }

        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        var name = mapping.Children.FirstOrDefault(c => c.Key is YamlScalarNode { Value: "objectName" }).Value is YamlScalarNode { Value: { } n } ? n : null;
        var at = name is null ? $"objects[{index}]" : $"objects[{index}] ({Shorten(name)})";
        foreach (var (keyNode, valueNode) in mapping.Children)
        {
            var key = (keyNode as YamlScalarNode)?.Value ?? "";
            if (!ObjectKeys.Contains(key, StringComparer.Ordinal))
            {
                var near = ObjectKeyHints.GetValueOrDefault(key) ?? ObjectKeys.FirstOrDefault(k => k.Equals(key, StringComparison.OrdinalIgnoreCase));
                var hint = near is null ? "" : $"did you mean '{near}'? ";
                throw Invalid($"{at}: unknown key '{Shorten(key)}'; {hint}use {string.Join(", ", ObjectKeys)}");
            }

            if (valueNode is not YamlScalarNode { Value: { } value })
            {
                throw Invalid($"{at}: {key} is not a plain value; quote it, e.g. {key}: \"…\"");
            }

            if (value.Length == 0)
            {
                throw Invalid($"{at}: {key} is empty; give a value or leave the key out");
            }

            values[key] = value;
        }

        var objectName = values.GetValueOrDefault("objectName")
            ?? throw Invalid($"{at}: objectName is required: the file's path in the mount, e.g. db.json");
        if (ObjectNameRules.Problem(objectName) is { } problem)
        {
            throw Invalid($"{at}: objectName {problem}");
        }

        var path = values.GetValueOrDefault("path")
            ?? throw Invalid($"{at}: path is required: the ScaiVault secret's path, e.g. apps/billing/database");
        if (SecretPathProblem(path) is { } pathProblem)
        {
            throw Invalid($"{at}: path {pathProblem}");
        }

        var field = values.GetValueOrDefault("field");
        var encoding = values.GetValueOrDefault("encoding") switch
        {
            null or "utf-8" => SecretEncoding.Utf8,
            "base64" => SecretEncoding.Base64,
            "hex" => SecretEncoding.Hex,
            var other => throw Invalid($"{at}: encoding '{Shorten(other)}' is not one of utf-8, base64, hex"),
        };
        if (encoding != SecretEncoding.Utf8 && field is null)
        {
            throw Invalid($"{at}: encoding applies to one field's value; add field, or leave encoding out for the whole secret as JSON");
        }

        return new MountObject(
            index,
            objectName,
            path,
            field,
            ParseMode(at, values.GetValueOrDefault("mode")) ?? defaultMode,
            ParseVersion(at, values.GetValueOrDefault("version")),
            encoding);
    }

    /// <summary><c>mode</c>: an octal string, as YAML would misread an unquoted 0640 in other parsers.</summary>
    private static int? ParseMode(string at, string? text)
    {
        if (text is null)
        {
            return null;
        }

        if (text.Length > 4 || !text.All(c => c is >= '0' and <= '7'))
        {
            throw Invalid($"{at}: mode '{Shorten(text)}' is not an octal file mode; use e.g. \"0640\"");
        }

        var mode = Convert.ToInt32(text, 8);
        return mode switch
        {
            > 511 => throw Invalid($"{at}: mode '{text}' sets setuid, setgid or sticky bits; use at most \"0777\""),
            0 => throw Invalid($"{at}: mode '{text}' makes the file unreadable; use e.g. \"0440\" or \"0644\""),
            _ => mode,
        };
    }

    private static int? ParseVersion(string at, string? text) =>
        text is null ? null
        : int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var version) && version > 0 ? version
        : throw Invalid($"{at}: version '{Shorten(text)}' is not a ScaiVault secret version (a whole number from 1)");

    /// <summary>A ScaiVault path is appended to <c>/v1/secrets/</c>: nothing that would change the URL's meaning.</summary>
    private static string? SecretPathProblem(string path)
    {
        if (path.Any(c => char.IsControl(c) || char.IsWhiteSpace(c) || c is '?' or '#' or '%' or '\\'))
        {
            return "contains whitespace, a control character or one of ? # % \\; give the secret's path, e.g. apps/billing/database";
        }

        return path.Split('/').Any(e => e.Length == 0 || e is "." or "..")
            ? "is not a clean relative path (no leading or trailing '/', '//', '.' or '..'); e.g. apps/billing/database"
            : null;
    }

    /// <summary>Two objects cannot be the same file, nor a file and a directory holding another.</summary>
    private static void CheckNamesDoNotCollide(List<MountObject> objects)
    {
        var byName = new Dictionary<string, MountObject>(StringComparer.Ordinal);
        foreach (var o in objects)
        {
            if (!byName.TryAdd(o.ObjectName, o))
            {
                throw Invalid($"objects[{o.Index}] ({o.ObjectName}): objectName duplicates objects[{byName[o.ObjectName].Index}]; each object needs its own file");
            }
        }

        foreach (var o in objects)
        {
            for (var slash = o.ObjectName.IndexOf('/', StringComparison.Ordinal); slash > 0; slash = o.ObjectName.IndexOf('/', slash + 1))
            {
                if (byName.TryGetValue(o.ObjectName[..slash], out var file))
                {
                    throw Invalid($"objects[{o.Index}] ({o.ObjectName}): objectName is inside objects[{file.Index}] ({file.ObjectName}), which is a file; rename one of them");
                }
            }
        }
    }

    private static Uri ResolveUrl(string? text, ProviderOptions options)
    {
        if (NonEmpty(text) is not { } requested)
        {
            return options.ScaiVaultUrl;
        }

        if (!Uri.TryCreate(requested, UriKind.Absolute, out var url) || (url.Scheme != Uri.UriSchemeHttps && url.Scheme != Uri.UriSchemeHttp)
            || url.UserInfo.Length > 0 || url.Query.Length > 0 || url.Fragment.Length > 0)
        {
            throw Invalid($"scaivaultUrl '{Shorten(requested)}' is not an http(s) URL without credentials, query or fragment");
        }

        // Pod authors can override SecretProviderClass parameters: without this check they could send the pod's
        // token to any server they like.
        return options.Allows(url) ? url
            : throw Invalid($"scaivaultUrl '{Shorten(requested)}' is not allowed by this provider; leave it out for {options.ScaiVaultUrl}, or ask the cluster admin to add it with --allowed-url");
    }

    private static ServiceAccountToken FindToken(string? json, string audience)
    {
        Dictionary<string, TokenEntry>? tokens = null;
        if (!string.IsNullOrWhiteSpace(json))
        {
            try
            {
                tokens = JsonSerializer.Deserialize(json, MountJsonContext.Default.DictionaryStringTokenEntry);
            }
            catch (JsonException)
            {
                throw Invalid($"{TokensKey} is not the kubelet's JSON map of audience to {{token, expirationTimestamp}}");
            }
        }

        if (tokens?.GetValueOrDefault(audience) is { Token: { Length: > 0 } jwt } entry)
        {
            var expires = DateTimeOffset.TryParse(entry.ExpirationTimestamp, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at) ? at : (DateTimeOffset?)null;
            return new ServiceAccountToken(jwt, expires);
        }

        var present = tokens is { Count: > 0 } ? "only for " + string.Join(", ", tokens.Keys.Order(StringComparer.Ordinal).Select(a => $"'{Shorten(a)}'")) : "none";
        throw new MountRequestException(
            StatusCode.FailedPrecondition,
            $"no service-account token for audience '{audience}' in the mount request (tokens: {present}); add tokenRequests: [{{audience: {audience}}}] to the CSIDriver secrets-store.csi.k8s.io (helm: --set tokenRequests[0].audience={audience}), or set the SecretProviderClass's audience to one it requests");
    }

    private static string? NonEmpty(string? text) => string.IsNullOrWhiteSpace(text) ? null : text.Trim();

    /// <summary>Echoed values are the author's own, but are kept short so one bad key cannot flood the pod's events.</summary>
    private static string Shorten(string text) => text.Length <= 100 ? text : text[..100] + "…";

    private static Exception Innermost(Exception e) => e.InnerException is null ? e : Innermost(e.InnerException);

    private static MountRequestException Invalid(string message) => new(StatusCode.InvalidArgument, message);
}
