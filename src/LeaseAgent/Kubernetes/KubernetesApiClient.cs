using System.Net;
using System.Net.Http.Headers;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using LeaseAgent.Configuration;

namespace LeaseAgent.Kubernetes;

/// <summary>
/// The three calls <c>init</c> makes on namespaced Secrets (GET, POST, PUT), in-cluster as the pod's service account.
/// Hand-written instead of the KubernetesClient package, which would not fit lease-agent's size budget and is not
/// trim-safe. The token is re-read for every request (the kubelet rotates projected tokens); the API server's
/// certificate must chain to <c>ca.crt</c> alone, not to the system store.
/// </summary>
public sealed class KubernetesApiClient : IDisposable
{
    private const string SettingKey = "KUBERNETES_SERVICE_ACCOUNT_DIR";

    private readonly HttpClient _http;
    private readonly string _tokenFile;

    private KubernetesApiClient(HttpClient http, string tokenFile, string @namespace)
    {
        _http = http;
        _tokenFile = tokenFile;
        Namespace = @namespace;
    }

    /// <summary>The pod's own namespace, from the service-account directory: every Secret is read and written there.</summary>
    public string Namespace { get; }

    /// <summary>Reads <c>ca.crt</c> and <c>namespace</c>; a missing or bad file is a configuration error (exit 2).</summary>
    public static KubernetesApiClient Create(KubernetesOptions options, TimeSpan requestTimeout)
    {
        ArgumentNullException.ThrowIfNull(options);
        const string mount = "mount the API credentials there (automountServiceAccountToken, or a projected volume of serviceAccountToken, the kube-root-ca.crt ConfigMap and the namespace from the downward API)";
        var ca = new X509Certificate2Collection();
        try
        {
            ca.ImportFromPemFile(options.CaFile);
        }
        catch (Exception e) when (e is CryptographicException or IOException or UnauthorizedAccessException)
        {
            throw new ConfigurationException(SettingKey, $"cannot read {options.CaFile} ({e.GetType().Name}); {mount}");
        }

        if (ca.Count == 0)
        {
            throw new ConfigurationException(SettingKey, $"{options.CaFile} holds no PEM certificate; {mount}");
        }

        string @namespace;
        try
        {
            @namespace = File.ReadAllText(options.NamespaceFile).Trim();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ConfigurationException(SettingKey, $"cannot read {options.NamespaceFile} ({e.GetType().Name}); {mount}");
        }

        if (!KubernetesNames.IsSecretName(@namespace) || @namespace.Contains('.', StringComparison.Ordinal))
        {
            throw new ConfigurationException(SettingKey, $"{options.NamespaceFile} does not hold a namespace name; {mount}");
        }

        var handler = new SocketsHttpHandler
        {
            AllowAutoRedirect = false, // a redirect would carry the bearer token elsewhere
            UseProxy = false, // as client-go in-cluster: the service IP is never reached through HTTPS_PROXY
            ConnectTimeout = requestTimeout,
            SslOptions = new SslClientAuthenticationOptions
            {
                // CustomRootTrust replaces the system store: only the cluster's CA may vouch for the API server.
                CertificateChainPolicy = new X509ChainPolicy
                {
                    TrustMode = X509ChainTrustMode.CustomRootTrust,
                    RevocationMode = X509RevocationMode.NoCheck,
                },
            },
        };
        handler.SslOptions.CertificateChainPolicy.CustomTrustStore.AddRange(ca);
        var http = new HttpClient(handler) { BaseAddress = options.ApiServer, Timeout = Timeout.InfiniteTimeSpan };
        return new KubernetesApiClient(http, options.TokenFile, @namespace);
    }

    /// <summary>GET; null when there is no such Secret.</summary>
    public async Task<JsonObject?> GetSecretAsync(string name, CancellationToken cancellationToken)
    {
        using var request = Request(HttpMethod.Get, SecretUri(name), body: null);
        return await SendAsync(request, "get", name, allowNotFound: true, cancellationToken);
    }

    /// <summary>POST (create). 409 means someone created it first.</summary>
    public async Task CreateSecretAsync(string name, JsonObject secret, CancellationToken cancellationToken)
    {
        using var request = Request(HttpMethod.Post, $"api/v1/namespaces/{Namespace}/secrets", secret);
        await SendAsync(request, "create", name, allowNotFound: false, cancellationToken);
    }

    /// <summary>PUT (update) of the whole object, carrying the <c>resourceVersion</c> it was read with; 409 when stale.</summary>
    public async Task ReplaceSecretAsync(string name, JsonObject secret, CancellationToken cancellationToken)
    {
        using var request = Request(HttpMethod.Put, SecretUri(name), secret);
        await SendAsync(request, "update", name, allowNotFound: false, cancellationToken);
    }

    public void Dispose() => _http.Dispose();

    private string SecretUri(string name) => $"api/v1/namespaces/{Namespace}/secrets/{name}";

    private static HttpRequestMessage Request(HttpMethod method, string uri, JsonObject? body)
    {
        var request = new HttpRequestMessage(method, uri);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        if (body is not null)
        {
            request.Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json");
        }

        return request;
    }

    private async Task<JsonObject?> SendAsync(HttpRequestMessage request, string verb, string name, bool allowNotFound, CancellationToken cancellationToken)
    {
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", ReadToken(verb, name));
        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(request, cancellationToken);
        }
        catch (HttpRequestException e) when (e.HttpRequestError == HttpRequestError.SecureConnectionError)
        {
            // Not retried: a certificate the cluster CA did not sign will not become trusted. The token was not sent.
            throw new KubernetesApiException($"{verb} Secret {Namespace}/{name}: TLS with the API server at {_http.BaseAddress} failed ({e.InnerException?.Message ?? e.Message}); its certificate must chain to ca.crt in KUBERNETES_SERVICE_ACCOUNT_DIR and name KUBERNETES_SERVICE_HOST", 0, isTransient: false);
        }
        catch (HttpRequestException e)
        {
            throw new KubernetesApiException($"{verb} Secret {Namespace}/{name}: the API server at {_http.BaseAddress} did not answer ({e.HttpRequestError}: {e.InnerException?.Message ?? e.Message})", 0, isTransient: true);
        }

        using (response)
        {
            var text = await response.Content.ReadAsStringAsync(cancellationToken);
            var status = (int)response.StatusCode;
            if (response.IsSuccessStatusCode)
            {
                return JsonNode.Parse(text) as JsonObject
                    ?? throw new KubernetesApiException($"{verb} Secret {Namespace}/{name}: the API server answered {status} without an object", status, isTransient: false);
            }

            if (response.StatusCode == HttpStatusCode.NotFound && allowNotFound)
            {
                return null;
            }

            throw Failure(verb, name, status, text);
        }
    }

    private string ReadToken(string verb, string name)
    {
        try
        {
            var token = File.ReadAllText(_tokenFile).Trim();
            return token.Length > 0 ? token : throw new IOException("empty");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new KubernetesApiException($"{verb} Secret {Namespace}/{name}: cannot read the service-account token {_tokenFile} ({e.GetType().Name}: {e.Message}); mount it there (KUBERNETES_SERVICE_ACCOUNT_DIR)", 0, isTransient: false);
        }
    }

    private KubernetesApiException Failure(string verb, string name, int status, string body)
    {
        var parsed = ParseStatus(body);
        var reason = parsed?.Reason ?? "no reason given";
        var fields = parsed?.Details?.Causes?.Select(c => c.Field).OfType<string>().Distinct().ToList() ?? [];
        var what = $"{verb} Secret {Namespace}/{name} failed: {status} {reason}";
        return status switch
        {
            403 => new KubernetesApiException(
                $"{what}: the service account may not {verb} secrets in namespace {Namespace}; give its Role the rule apiGroups: [\"\"], resources: [secrets], "
                + (verb == "create"
                    ? "verbs: [create] (Kubernetes cannot limit create by resourceNames), or create the Secret in the manifest beforehand"
                    : $"resourceNames: [{name}], verbs: [get, update]")
                + ", bound to it by a RoleBinding",
                status,
                isTransient: false),
            401 => new KubernetesApiException($"{what}: the API server did not accept the service-account token; check that the token in KUBERNETES_SERVICE_ACCOUNT_DIR is this cluster's and not expired (a projected serviceAccountToken without an audience)", status, isTransient: false),
            409 => new KubernetesApiException($"{what}: the Secret changed (or was created) while init wrote it", status, isTransient: false),
            429 or >= 500 => new KubernetesApiException(what, status, isTransient: true),
            _ => new KubernetesApiException(fields.Count == 0 ? what : $"{what} (fields: {string.Join(", ", fields)})", status, isTransient: false),
        };
    }

    private static KubernetesStatus? ParseStatus(string body)
    {
        try
        {
            return JsonSerializer.Deserialize(body, KubernetesJsonContext.Default.KubernetesStatus);
        }
        catch (JsonException)
        {
            return null; // a proxy's HTML page: the status code says enough
        }
    }
}
