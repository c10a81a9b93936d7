using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using LeaseAgent.Tests.ScaiVault;

namespace LeaseAgent.Tests.Kubernetes;

/// <summary>
/// A TEST DOUBLE of the Kubernetes API server, not an API server: exactly the calls <c>lease-agent init</c> makes on
/// Secrets of one namespace (GET, POST, PUT of <c>/api/v1/namespaces/{ns}/secrets[/{name}]</c>), over TLS with a
/// certificate of a throwaway CA (the agent trusts only its <c>ca.crt</c>), with the API server's rules for them: a
/// bearer token (401 otherwise), <c>resourceVersion</c> bumped on every write and a PUT with a stale one refused
/// with 409 Conflict, 409 AlreadyExists on a second create, 403 for verbs RBAC "denies", base64 data and valid keys
/// (422). Everything else is 404/405. Hooks let a test act as another writer between the agent's GET and PUT.
/// </summary>
public sealed class KubernetesApiTestDouble : IAsyncDisposable
{
    private readonly object _gate = new();
    private readonly Dictionary<string, JsonObject> _secrets = new(StringComparer.Ordinal);
    private readonly List<string> _calls = [];
    private readonly HashSet<string> _forbidden = new(StringComparer.Ordinal);
    private readonly TinyHttpServer _server;
    private long _resourceVersion = 1000;
    private int _transientFailures;
    private Action<JsonObject>? _beforeNextUpdate;

    private KubernetesApiTestDouble(string @namespace, string token, X509Certificate2 certificate)
    {
        Namespace = @namespace;
        Token = token;
        _server = TinyHttpServer.Start(certificate, Respond);
    }

    public string Namespace { get; }

    public string Token { get; }

    public int Port => _server.Port;

    /// <summary>Connections that ended before a whole request arrived (e.g. the client refused the certificate).</summary>
    public int AbortedConnections => _server.AbortedConnections;

    /// <summary>Every answered call as <c>VERB name status</c>, e.g. <c>update reporting-config 409</c>.</summary>
    public IReadOnlyList<string> Calls
    {
        get
        {
            lock (_gate)
            {
                return [.. _calls];
            }
        }
    }

    public static KubernetesApiTestDouble Start(string @namespace, string token, X509Certificate2 certificate) => new(@namespace, token, certificate);

    /// <summary>RBAC denies <paramref name="verb"/> (get, create, update) on secrets: 403 Forbidden.</summary>
    public void Forbid(string verb)
    {
        lock (_gate)
        {
            _forbidden.Add(verb);
        }
    }

    /// <summary>The next <paramref name="count"/> calls are answered 503 (an API server restarting).</summary>
    public void FailNext(int count)
    {
        lock (_gate)
        {
            _transientFailures = count;
        }
    }

    /// <summary>Runs once, on the stored Secret, when the next PUT arrives and before it is checked: another writer.</summary>
    public void BeforeNextUpdate(Action<JsonObject> change)
    {
        lock (_gate)
        {
            _beforeNextUpdate = change;
        }
    }

    /// <summary>Stores a Secret as if someone else had created it (with a fresh resourceVersion).</summary>
    public void Seed(JsonObject secret)
    {
        lock (_gate)
        {
            secret["metadata"]!["namespace"] = Namespace;
            secret["metadata"]!["resourceVersion"] = NextVersion();
            _secrets[secret["metadata"]!["name"]!.GetValue<string>()] = secret;
        }
    }

    /// <summary>A copy of the stored Secret, or null.</summary>
    public JsonObject? Get(string name)
    {
        lock (_gate)
        {
            return _secrets.TryGetValue(name, out var secret) ? (JsonObject)secret.DeepClone() : null;
        }
    }

    /// <summary>The decoded bytes of one key of a stored Secret.</summary>
    public byte[] Value(string name, string key) => Convert.FromBase64String(Get(name)!["data"]![key]!.GetValue<string>());

    public ValueTask DisposeAsync() => _server.DisposeAsync();

    private (int Status, string Body) Respond(string request)
    {
        var head = request[..request.IndexOf("\r\n\r\n", StringComparison.Ordinal)];
        var body = request[(head.Length + 4)..];
        var lines = head.Split("\r\n");
        var requestLine = lines[0].Split(' ');
        var (method, path) = (requestLine[0], requestLine[1]);
        var authorized = lines.Any(l => l.Equals($"Authorization: Bearer {Token}", StringComparison.Ordinal));

        var prefix = $"/api/v1/namespaces/{Namespace}/secrets";
        var name = path.StartsWith(prefix + "/", StringComparison.Ordinal) ? path[(prefix.Length + 1)..] : null;
        var verb = (method, name) switch
        {
            ("GET", not null) => "get",
            ("POST", null) when path == prefix => "create",
            ("PUT", not null) => "update",
            _ => null,
        };

        lock (_gate)
        {
            var (status, answer) = Handle(verb, name, body, authorized, path);
            var target = verb == "create" && authorized ? (JsonNode.Parse(body)?["metadata"]?["name"]?.GetValue<string>() ?? path) : name ?? path;
            _calls.Add($"{verb ?? method} {target} {status}");
            return (status, answer.ToJsonString());
        }
    }

    private (int Status, JsonObject Body) Handle(string? verb, string? name, string body, bool authorized, string path)
    {
        if (!authorized)
        {
            return Status(401, "Unauthorized", "Unauthorized");
        }

        if (verb is null)
        {
            return path.StartsWith("/api/v1/namespaces/", StringComparison.Ordinal)
                ? Status(403, "Forbidden", $"this double serves namespace {Namespace} only")
                : Status(404, "NotFound", "the test double serves namespaced secrets only");
        }

        if (_forbidden.Contains(verb))
        {
            return Status(403, "Forbidden", $"secrets \"{name}\" is forbidden: User \"system:serviceaccount:{Namespace}:test\" cannot {verb} resource \"secrets\" in API group \"\" in the namespace \"{Namespace}\"");
        }

        if (_transientFailures > 0)
        {
            _transientFailures--;
            return Status(503, "ServiceUnavailable", "the API server is restarting");
        }

        switch (verb)
        {
            case "get":
                return _secrets.TryGetValue(name!, out var stored) ? (200, (JsonObject)stored.DeepClone()) : Status(404, "NotFound", $"secrets \"{name}\" not found");

            case "create":
            {
                var secret = (JsonObject)JsonNode.Parse(body)!;
                var created = secret["metadata"]!["name"]!.GetValue<string>();
                if (_secrets.ContainsKey(created))
                {
                    return Status(409, "AlreadyExists", $"secrets \"{created}\" already exists");
                }

                if (Invalid(secret) is { } invalid)
                {
                    return invalid;
                }

                secret["metadata"]!["resourceVersion"] = NextVersion();
                secret["metadata"]!["uid"] = Guid.NewGuid().ToString();
                _secrets[created] = secret;
                return (201, (JsonObject)secret.DeepClone());
            }

            default: // update
            {
                if (!_secrets.TryGetValue(name!, out var current))
                {
                    return Status(404, "NotFound", $"secrets \"{name}\" not found");
                }

                if (Interlocked.Exchange(ref _beforeNextUpdate, null) is { } change)
                {
                    change(current);
                    current["metadata"]!["resourceVersion"] = NextVersion();
                }

                var secret = (JsonObject)JsonNode.Parse(body)!;
                if (secret["metadata"]?["resourceVersion"]?.GetValue<string>() != current["metadata"]!["resourceVersion"]!.GetValue<string>())
                {
                    return Status(409, "Conflict", $"Operation cannot be fulfilled on secrets \"{name}\": the object has been modified; please apply your changes to the latest version and try again");
                }

                if (Invalid(secret) is { } invalid)
                {
                    return invalid;
                }

                secret["metadata"]!["resourceVersion"] = NextVersion();
                _secrets[name!] = secret;
                return (200, (JsonObject)secret.DeepClone());
            }
        }
    }

    private static (int, JsonObject)? Invalid(JsonObject secret)
    {
        foreach (var (key, value) in secret["data"] as JsonObject ?? [])
        {
            var text = value?.GetValue<string>() ?? "";
            if (!LeaseAgent.Kubernetes.KubernetesNames.IsSecretKey(key) || !Convert.TryFromBase64String(text, new byte[text.Length], out _))
            {
                return Status(422, "Invalid", "Secret is invalid", $"data[{key}]");
            }
        }

        return null;
    }

    private string NextVersion() => (++_resourceVersion).ToString(System.Globalization.CultureInfo.InvariantCulture);

    private static (int, JsonObject) Status(int code, string reason, string message, string? field = null)
    {
        var status = new JsonObject
        {
            ["kind"] = "Status",
            ["apiVersion"] = "v1",
            ["status"] = "Failure",
            ["message"] = message,
            ["reason"] = reason,
            ["code"] = code,
        };
        if (field is not null)
        {
            status["details"] = new JsonObject { ["causes"] = new JsonArray(new JsonObject { ["field"] = field }) };
        }

        return (code, status);
    }

    /// <summary>Writes the service-account directory the agent reads: token, ca.crt, namespace.</summary>
    public static string WriteServiceAccountDirectory(string parent, string token, string @namespace, X509Certificate2 ca)
    {
        var directory = Directory.CreateDirectory(Path.Combine(parent, "serviceaccount")).FullName;
        File.WriteAllText(Path.Combine(directory, "token"), token, Encoding.ASCII);
        File.WriteAllText(Path.Combine(directory, "namespace"), @namespace, Encoding.ASCII);
        TestCertificates.WritePem(directory, "ca.crt", ca);
        return directory;
    }
}
