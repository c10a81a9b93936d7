using System.Text.Json;
using System.Text.Json.Nodes;
using LeaseAgent.Diagnostics;
using Microsoft.Extensions.Logging;
using Polly;
using Polly.Retry;
using Polly.Timeout;
using ScaiVault.Client;

namespace LeaseAgent.Kubernetes;

/// <summary>
/// Create-or-update of one Secret without losing what others put there: GET; on 404 POST it with the managed-by
/// label; otherwise merge our keys into <c>data</c>, keep every other key and field, and PUT it with the
/// <c>resourceVersion</c> that was read, so a concurrent writer makes the PUT fail (409) instead of being
/// overwritten. A 409 is re-read and retried a few times; 5xx, 429 and no answer are retried until init's deadline;
/// 401, 403 and other refusals end it at once.
/// </summary>
public sealed class KubernetesSecretWriter(KubernetesApiClient api, TimeProvider time, ILogger logger)
{
    /// <summary>The label every Secret the agent creates carries (set on update only when no manager is named yet).</summary>
    public const string ManagedByLabel = "app.kubernetes.io/managed-by";

    public const string ManagedByValue = "lease-agent";

    /// <summary>JSON object from each key the agent manages to its ScaiVault <c>path#field</c>; never a value.</summary>
    public const string ManagedKeysAnnotation = "lease-agent.scailabs.ai/managed-keys";

    /// <summary>How many 409s in a row one Secret may see: more means another writer keeps changing it.</summary>
    public const int MaxConflictRetries = 5;

    private static readonly TimeSpan AttemptTimeout = TimeSpan.FromSeconds(10);

    /// <summary>The namespace every Secret is written in: the pod's own.</summary>
    public string Namespace => api.Namespace;

    /// <summary>Writes <paramref name="secret"/>; gives up at <paramref name="deadline"/>.</summary>
    /// <exception cref="KubernetesApiException">Every failure, running out of time included (status 0, transient).</exception>
    public async Task WriteAsync(KubernetesSecretContent secret, Deadline deadline, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(secret);
        var remaining = deadline.Remaining(time);
        if (remaining <= TimeSpan.Zero)
        {
            throw TimedOut(secret, lastFailure: null);
        }

        var conflicts = 0;
        Exception? lastFailure = null;
        var retry = new RetryStrategyOptions
        {
            MaxRetryAttempts = int.MaxValue, // bounded by the total timeout (init's deadline) and the conflict count
            BackoffType = DelayBackoffType.Exponential,
            UseJitter = true,
            Delay = TimeSpan.FromMilliseconds(200),
            MaxDelay = TimeSpan.FromSeconds(5),
            ShouldHandle = args => ValueTask.FromResult(args.Outcome.Exception switch
            {
                KubernetesApiException { IsConflict: true } => ++conflicts <= MaxConflictRetries,
                KubernetesApiException { IsTransient: true } or TimeoutRejectedException => true,
                _ => false,
            }),
            OnRetry = args =>
            {
                lastFailure = args.Outcome.Exception;
                var reason = args.Outcome.Exception is KubernetesApiException { Status: > 0 } e ? e.Status.ToString(System.Globalization.CultureInfo.InvariantCulture) : args.Outcome.Exception?.GetType().Name ?? "?";
                Log.KubernetesSecretRetrying(logger, api.Namespace, secret.Name, reason, args.RetryDelay.TotalSeconds);
                return default;
            },
        };

        var pipeline = new ResiliencePipelineBuilder { TimeProvider = time }
            .AddTimeout(remaining)
            .AddRetry(retry)
            .AddTimeout(AttemptTimeout)
            .Build();
        try
        {
            await pipeline.ExecuteAsync(async token => await WriteOnceAsync(secret, token), cancellationToken);
        }
        catch (TimeoutRejectedException)
        {
            throw TimedOut(secret, lastFailure);
        }
    }

    /// <summary>Says what kept failing, not only that time ran out; as this writer's own exception, so that init need not know Polly.</summary>
    private KubernetesApiException TimedOut(KubernetesSecretContent secret, Exception? lastFailure) => new(
        lastFailure is null
            ? $"INIT_TIMEOUT passed before Secret {api.Namespace}/{secret.Name} was written"
            : $"INIT_TIMEOUT passed while retrying; the last attempt: {lastFailure.Message}",
        status: 0,
        isTransient: true);

    private async Task WriteOnceAsync(KubernetesSecretContent secret, CancellationToken cancellationToken)
    {
        var current = await api.GetSecretAsync(secret.Name, cancellationToken);
        if (current is null)
        {
            await api.CreateSecretAsync(secret.Name, NewSecret(secret), cancellationToken);
            Log.KubernetesSecretCreated(logger, api.Namespace, secret.Name, secret.Data.Count);
            return;
        }

        var data = current["data"] as JsonObject ?? [];
        var unchanged = secret.Data.All(p => data[p.Key] is JsonValue v && v.TryGetValue<string>(out var s) && s == Convert.ToBase64String(p.Value))
            && ManagedKeys(current).ToJsonString() == Merge(ManagedKeys(current), secret).ToJsonString();
        if (unchanged)
        {
            Log.KubernetesSecretUnchanged(logger, api.Namespace, secret.Name);
            return;
        }

        var others = data.Count(p => !secret.Data.ContainsKey(p.Key));
        foreach (var (key, bytes) in secret.Data)
        {
            data[key] = Convert.ToBase64String(bytes);
        }

        current["data"] = data;
        var metadata = current["metadata"] as JsonObject ?? [];
        var labels = metadata["labels"] as JsonObject ?? [];
        if (!labels.ContainsKey(ManagedByLabel))
        {
            labels[ManagedByLabel] = ManagedByValue; // never taken from another manager (Helm adopts by this label)
        }

        metadata["labels"] = labels;
        var annotations = metadata["annotations"] as JsonObject ?? [];
        annotations[ManagedKeysAnnotation] = Merge(ManagedKeys(current), secret).ToJsonString();
        metadata["annotations"] = annotations;
        current["metadata"] = metadata;

        // metadata.resourceVersion stays as read: the PUT is refused (409) if anyone wrote since.
        await api.ReplaceSecretAsync(secret.Name, current, cancellationToken);
        Log.KubernetesSecretUpdated(logger, api.Namespace, secret.Name, secret.Data.Count, others);
    }

    private JsonObject NewSecret(KubernetesSecretContent secret)
    {
        var data = new JsonObject();
        foreach (var (key, bytes) in secret.Data.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            data[key] = Convert.ToBase64String(bytes);
        }

        return new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "Secret",
            ["type"] = "Opaque",
            ["metadata"] = new JsonObject
            {
                ["name"] = secret.Name,
                ["namespace"] = api.Namespace,
                ["labels"] = new JsonObject { [ManagedByLabel] = ManagedByValue },
                ["annotations"] = new JsonObject { [ManagedKeysAnnotation] = Merge([], secret).ToJsonString() },
            },
            ["data"] = data,
        };
    }

    /// <summary>The annotation as read (unreadable: empty), so keys managed by an earlier run with other lines stay listed.</summary>
    private static JsonObject ManagedKeys(JsonObject secret)
    {
        if (secret["metadata"]?["annotations"]?[ManagedKeysAnnotation] is JsonValue value && value.TryGetValue<string>(out var text))
        {
            try
            {
                return JsonNode.Parse(text) as JsonObject ?? [];
            }
            catch (JsonException)
            {
                return [];
            }
        }

        return [];
    }

    private static JsonObject Merge(JsonObject managed, KubernetesSecretContent secret)
    {
        var merged = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, source) in managed)
        {
            if (source is JsonValue v && v.TryGetValue<string>(out var s))
            {
                merged[key] = s;
            }
        }

        foreach (var (key, source) in secret.Sources)
        {
            merged[key] = source;
        }

        var result = new JsonObject();
        foreach (var (key, source) in merged)
        {
            result[key] = source;
        }

        return result;
    }
}
