using System.Text.Json.Serialization;
using k8s.Models;

namespace LeaseAgent.Packaging.Tests.Infrastructure;

/// <summary>
/// The Prometheus Operator's custom resources the chart renders (<c>monitoring.coreos.com/v1</c>): <see cref="PodMonitor"/>,
/// <see cref="ServiceMonitor"/> and <see cref="PrometheusRule"/>, with the fields of their CRDs (the operator's
/// <c>pkg/apis/monitoring/v1</c> types) that such objects commonly set; KubernetesClient models only built-in kinds. A
/// field the chart renders that is not here, or is misspelt, fails the strict decoding (<see cref="KubernetesApiTypes"/>).
/// </summary>
internal static class PrometheusOperator
{
    public const string Group = "monitoring.coreos.com";
    public const string Version = "v1";

    public static IEnumerable<(string Kind, Type Model)> Kinds =>
    [
        ("PodMonitor", typeof(PodMonitor)),
        ("ServiceMonitor", typeof(ServiceMonitor)),
        ("PrometheusRule", typeof(PrometheusRule)),
    ];
}

/// <summary>The envelope every custom resource shares: its kind, its metadata and its spec.</summary>
internal abstract class CustomResource<TSpec>
{
    [JsonPropertyName("apiVersion")]
    public required string ApiVersion { get; set; }

    [JsonPropertyName("kind")]
    public required string Kind { get; set; }

    [JsonPropertyName("metadata")]
    public required V1ObjectMeta Metadata { get; set; }

    [JsonPropertyName("spec")]
    public required TSpec Spec { get; set; }
}

internal sealed class PodMonitor : CustomResource<PodMonitorSpec>;

internal sealed class PodMonitorSpec
{
    [JsonPropertyName("jobLabel")]
    public string? JobLabel { get; set; }

    [JsonPropertyName("podTargetLabels")]
    public IList<string>? PodTargetLabels { get; set; }

    [JsonPropertyName("podMetricsEndpoints")]
    public IList<ScrapeEndpoint>? PodMetricsEndpoints { get; set; }

    /// <summary>Required by the CRD.</summary>
    [JsonPropertyName("selector")]
    public required V1LabelSelector Selector { get; set; }

    [JsonPropertyName("namespaceSelector")]
    public NamespaceSelector? NamespaceSelector { get; set; }

    [JsonPropertyName("sampleLimit")]
    public long? SampleLimit { get; set; }
}

internal sealed class ServiceMonitor : CustomResource<ServiceMonitorSpec>;

internal sealed class ServiceMonitorSpec
{
    [JsonPropertyName("jobLabel")]
    public string? JobLabel { get; set; }

    [JsonPropertyName("targetLabels")]
    public IList<string>? TargetLabels { get; set; }

    [JsonPropertyName("podTargetLabels")]
    public IList<string>? PodTargetLabels { get; set; }

    [JsonPropertyName("endpoints")]
    public IList<ScrapeEndpoint>? Endpoints { get; set; }

    /// <summary>Required by the CRD.</summary>
    [JsonPropertyName("selector")]
    public required V1LabelSelector Selector { get; set; }

    [JsonPropertyName("namespaceSelector")]
    public NamespaceSelector? NamespaceSelector { get; set; }

    [JsonPropertyName("sampleLimit")]
    public long? SampleLimit { get; set; }
}

/// <summary>A PodMonitor's <c>podMetricsEndpoints</c> item or a ServiceMonitor's <c>endpoints</c> item (the fields both have).</summary>
internal sealed class ScrapeEndpoint
{
    /// <summary>The name of a container port (PodMonitor) or a Service port (ServiceMonitor).</summary>
    [JsonPropertyName("port")]
    public string? Port { get; set; }

    [JsonPropertyName("path")]
    public string? Path { get; set; }

    [JsonPropertyName("scheme")]
    public string? Scheme { get; set; }

    /// <summary>A Prometheus duration (<c>30s</c>).</summary>
    [JsonPropertyName("interval")]
    public string? Interval { get; set; }

    [JsonPropertyName("scrapeTimeout")]
    public string? ScrapeTimeout { get; set; }

    [JsonPropertyName("honorLabels")]
    public bool? HonorLabels { get; set; }
}

internal sealed class NamespaceSelector
{
    [JsonPropertyName("any")]
    public bool? Any { get; set; }

    [JsonPropertyName("matchNames")]
    public IList<string>? MatchNames { get; set; }
}

internal sealed class PrometheusRule : CustomResource<PrometheusRuleSpec>;

internal sealed class PrometheusRuleSpec
{
    [JsonPropertyName("groups")]
    public IList<RuleGroup>? Groups { get; set; }
}

internal sealed class RuleGroup
{
    [JsonPropertyName("name")]
    public required string Name { get; set; }

    [JsonPropertyName("interval")]
    public string? Interval { get; set; }

    [JsonPropertyName("limit")]
    public int? Limit { get; set; }

    [JsonPropertyName("rules")]
    public required IList<Rule> Rules { get; set; }
}

internal sealed class Rule
{
    [JsonPropertyName("alert")]
    public string? Alert { get; set; }

    [JsonPropertyName("record")]
    public string? Record { get; set; }

    /// <summary>PromQL (the CRD says int-or-string; the chart always writes a string).</summary>
    [JsonPropertyName("expr")]
    public required string Expr { get; set; }

    [JsonPropertyName("for")]
    public string? For { get; set; }

    [JsonPropertyName("keep_firing_for")]
    public string? KeepFiringFor { get; set; }

    [JsonPropertyName("labels")]
    public IDictionary<string, string>? Labels { get; set; }

    [JsonPropertyName("annotations")]
    public IDictionary<string, string>? Annotations { get; set; }
}
