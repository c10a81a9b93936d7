using System.Text.Json;
using System.Text.RegularExpressions;
using LeaseAgent.Packaging.Tests.Infrastructure;

namespace LeaseAgent.Packaging.Tests;

/// <summary>
/// charts/lease-agent's monitoring objects (<c>monitoring.*</c>): the PodMonitor or ServiceMonitor, the PrometheusRule and
/// the Grafana dashboard render only when enabled, decode strictly into the Prometheus Operator's types, refuse what
/// Prometheus could not scrape, and name only metrics, labels and label values the agent exports: by docs/metrics.md's
/// table (which MetricsDocumentationTests ties to the code) and by the agent's own exposition (<see cref="MetricCatalogue"/>).
/// </summary>
public sealed partial class ChartMonitoringTests
{
    private const string Endpoint = "agent:\n  healthAddress: \"0.0.0.0:8099\"\n";
    private const string RunbookUrl = "https://git.example.com/lease-agent/blob/v0.1.0/docs/operations.md";

    private const string PodMonitorOn = Endpoint + "monitoring:\n  podMonitor:\n    enabled: true\n";
    private const string ServiceMonitorOn = Endpoint + "monitoring:\n  serviceMonitor:\n    enabled: true\n";
    private const string RuleOn = "monitoring:\n  prometheusRule:\n    enabled: true\n    runbookUrl: " + RunbookUrl + "\n";
    private const string DashboardOn = "monitoring:\n  grafanaDashboard:\n    enabled: true\n";

    private static readonly string[] MonitoringKinds = ["PodMonitor", "ServiceMonitor", "PrometheusRule", "ConfigMap", "Service"];

    /// <summary>The alerts docs/operations.md has a section for, and the chart must have.</summary>
    private static readonly string[] Alerts =
    [
        "LeaseAgentCredentialExpiring", "LeaseAgentRotationFailing", "LeaseAgentCredentialDegraded",
        "LeaseAgentRevocationFailed", "LeaseAgentProbeFailing", "LeaseAgentNotReady",
    ];

    public static TheoryData<string> Catalogues => new() { "docs", "exposition" };

    [Fact]
    public void Render_Defaults_HasNoMonitoringObject()
    {
        var chart = ChartRenderer.Render();

        Assert.DoesNotContain(chart.Documents, d => MonitoringKinds.Contains(d.Kind()));
    }

    [Theory]
    [InlineData(PodMonitorOn, new[] { "PodMonitor" })]
    [InlineData(ServiceMonitorOn, new[] { "Service", "ServiceMonitor" })]
    [InlineData(RuleOn, new[] { "PrometheusRule" })]
    [InlineData(DashboardOn, new[] { "ConfigMap" })]
    public void Render_EachMonitoringValue_AddsOnlyItsObjects_AndTheyDecodeStrictly(string overrides, string[] kinds)
    {
        var chart = ChartRenderer.Render(overrides);
        var added = chart.Documents.Where(d => MonitoringKinds.Contains(d.Kind())).Select(d => d.Kind()).Order(StringComparer.Ordinal);

        Assert.Equal(kinds, added);
        Assert.Empty(KubernetesApiTypes.Check(chart.Documents));
        Assert.Empty(PodChecks.CheckPods(chart.Documents));
    }

    [Fact]
    public void Render_Notes_NameTheMonitoringObjectsOnlyWhenEnabled()
    {
        var off = ChartRenderer.Render().Notes;
        var on = ChartRenderer.Render(PodMonitorOn + "  prometheusRule:\n    enabled: true\n    runbookUrl: " + RunbookUrl + "\n").Notes;

        Assert.DoesNotContain("Monitoring", off, StringComparison.Ordinal);
        Assert.Contains("PodMonitor reporting-lease-agent scrapes /metrics on port 8099", on, StringComparison.Ordinal);
        Assert.Contains("runbook_url into " + RunbookUrl, on, StringComparison.Ordinal);
        Assert.DoesNotContain("ServiceMonitor", on, StringComparison.Ordinal);
    }

    [Fact]
    public void PodMonitor_ScrapesTheAgentsMetricsPortOnThisReleasesPods()
    {
        var chart = ChartRenderer.Render(PodMonitorOn + "    interval: 15s\n    labels:\n      release: kube-prometheus-stack\n");
        var monitor = KubernetesApiTypes.Decode<PodMonitor>(Assert.Single(chart.Documents, d => d.Kind() == "PodMonitor"));
        var agent = Assert.Single(PodChecks.Agents(chart.Documents));
        var podLabels = Deployment(chart).Map("spec").Map("template").Map("metadata").Map("labels")!;
        var endpoint = Assert.Single(monitor.Spec.PodMetricsEndpoints!);
        var port = Assert.Single(agent.Container.Maps("ports"));

        Assert.All(monitor.Spec.Selector.MatchLabels, label => Assert.Equal(label.Value, podLabels.Str(label.Key)));
        Assert.Equal(new[] { "shop" }, monitor.Spec.NamespaceSelector!.MatchNames!);
        Assert.Equal("metrics", endpoint.Port);
        Assert.Equal("metrics", port.Str("name"));
        Assert.Equal(8099L, port.Get("containerPort"));
        Assert.Equal("/metrics", endpoint.Path);
        Assert.Equal("15s", endpoint.Interval);
        Assert.Equal("kube-prometheus-stack", monitor.Metadata.Labels["release"]);
    }

    [Fact]
    public void ServiceMonitor_ItsHeadlessServiceSelectsThisReleasesPodsByPortNumber()
    {
        var chart = ChartRenderer.Render(ServiceMonitorOn.Replace("0.0.0.0:8099", "[::]:9102", StringComparison.Ordinal));
        var service = KubernetesApiTypes.Decode<k8s.Models.V1Service>(Assert.Single(chart.Documents, d => d.Kind() == "Service"));
        var monitor = KubernetesApiTypes.Decode<ServiceMonitor>(Assert.Single(chart.Documents, d => d.Kind() == "ServiceMonitor"));
        var podLabels = Deployment(chart).Map("spec").Map("template").Map("metadata").Map("labels")!;
        var servicePort = Assert.Single(service.Spec.Ports);

        Assert.Equal("None", service.Spec.ClusterIP);
        Assert.All(service.Spec.Selector, label => Assert.Equal(label.Value, podLabels.Str(label.Key)));
        // A number: a native sidecar's named port reaches EndpointSlices only from Kubernetes 1.32.
        Assert.Equal("9102", servicePort.TargetPort.Value);
        Assert.Equal(9102, servicePort.Port);
        Assert.All(monitor.Spec.Selector.MatchLabels, label => Assert.Equal(label.Value, service.Metadata.Labels[label.Key]));
        Assert.Equal(servicePort.Name, Assert.Single(monitor.Spec.Endpoints!).Port);
    }

    [Theory]
    [InlineData("monitoring:\n  podMonitor:\n    enabled: true\n", "need the agent's metrics endpoint: set agent.healthAddress")]
    [InlineData("monitoring:\n  serviceMonitor:\n    enabled: true\n", "need the agent's metrics endpoint: set agent.healthAddress")]
    [InlineData("agent:\n  healthAddress: \"127.0.0.1:8099\"\nmonitoring:\n  podMonitor:\n    enabled: true\n", "listens only inside the pod")]
    [InlineData("agent:\n  healthAddress: \"localhost:8099\"\nmonitoring:\n  serviceMonitor:\n    enabled: true\n", "listens only inside the pod")]
    [InlineData("mode: init-only\n" + PodMonitorOn, "with mode init-only the agent exits")]
    [InlineData(Endpoint + "monitoring:\n  podMonitor:\n    enabled: true\n  serviceMonitor:\n    enabled: true\n", "both enabled")]
    [InlineData("monitoring:\n  prometheusRule:\n    enabled: true\n", "monitoring.prometheusRule.runbookUrl is required")]
    public void Render_MonitoringPrometheusCannotUse_FailsSayingWhy(string overrides, string message)
    {
        var error = Assert.Throws<HelmException>(() => ChartRenderer.Render(overrides));

        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void PrometheusRule_HasEveryAlertOfTheRunbook_WithSeverityForAnnotationsAndRunbookAnchor()
    {
        var rules = Rules(ChartRenderer.Render(RuleOn));
        var anchors = RunbookAnchors();

        Assert.Equal(Alerts, rules.Select(r => r.Alert));
        Assert.All(rules, rule =>
        {
            Assert.Contains(rule.Labels!["severity"], new[] { "critical", "warning" });
            Assert.True(rule.For is { } duration && PrometheusDuration().IsMatch(duration), $"{rule.Alert}: for '{rule.For}'");
            Assert.False(string.IsNullOrWhiteSpace(rule.Annotations!["summary"]), rule.Alert);
            // Helm passed Prometheus's own template through: {{ $labels.credential }}, not its value or an error.
            Assert.Contains("{{ $labels.pod }}", rule.Annotations["description"], StringComparison.Ordinal);
            Assert.Contains("$labels.credential", rule.Annotations["description"], StringComparison.Ordinal);
            var runbook = rule.Annotations["runbook_url"];
            Assert.StartsWith(RunbookUrl + "#", runbook, StringComparison.Ordinal);
            Assert.Contains(runbook[(RunbookUrl.Length + 1)..], anchors);
            Assert.Equal(rule.Alert!.ToLowerInvariant(), runbook[(RunbookUrl.Length + 1)..]);
        });
    }

    [Theory]
    [MemberData(nameof(Catalogues))]
    public void PrometheusRule_EveryExpression_IsWellFormedAndNamesOnlyExportedMetricsLabelsAndValues(string catalogue)
    {
        var rules = Rules(ChartRenderer.Render(RuleOn));
        var metrics = MetricCatalogue.Named(catalogue);

        var findings = rules.SelectMany(rule => PromQl.Check(rule.Alert!, rule.Expr, metrics)).ToList();

        Assert.True(findings.Count == 0, string.Join("\n", findings));
        Assert.All(rules, rule => Assert.Contains(PromQl.Parse(rule.Expr).MetricNames, name => name.StartsWith("leaseagent_", StringComparison.Ordinal)));
    }

    [Fact]
    public void PrometheusRule_WatchesThisReleasesPods_OrTheSelectorGiven()
    {
        var own = Rules(ChartRenderer.Render(RuleOn));
        var chosen = Rules(ChartRenderer.Render(RuleOn + "    selector: namespace=~\"shop|billing\"\n    expiringSeconds: 120\n    alertLabels:\n      team: payments\n"));

        Assert.All(own, rule => Assert.All(PromQl.Parse(rule.Expr).Selectors, selector =>
        {
            Assert.Contains(new LabelMatcher("namespace", "=", "shop"), selector.Matchers);
            Assert.Contains(new LabelMatcher("pod", "=~", "reporting-lease-agent-[a-z0-9]+-[a-z0-9]+"), selector.Matchers);
        }));
        Assert.Matches("reporting-lease-agent-[a-z0-9]+-[a-z0-9]+$", "reporting-lease-agent-7d9c5b8f6-x2x9q");
        Assert.DoesNotMatch("^reporting-lease-agent-[a-z0-9]+-[a-z0-9]+$", "reporting-lease-agent-2-7d9c5b8f6-x2x9q");
        Assert.All(chosen, rule =>
        {
            Assert.All(PromQl.Parse(rule.Expr).Selectors, selector => Assert.DoesNotContain(selector.Matchers, m => m.Label == "pod"));
            Assert.Equal("payments", rule.Labels!["team"]);
        });
        Assert.Contains("leaseagent_lease_time_left_seconds{namespace=~\"shop|billing\"} < 120", chosen[0].Expr, StringComparison.Ordinal);
    }

    [Fact]
    public void PrometheusRule_LongDeploymentName_MatchesThePodsByThePrefixKubernetesKeeps()
    {
        // Pod names are <deployment>-<hash>-<suffix> with the base cut to 58 characters: a 51-character Deployment name is cut.
        var rules = Rules(ChartRenderer.Render(RuleOn, releaseName: "reporting-for-the-payments-team-in-prod"));
        var pods = Assert.Single(PromQl.Parse(rules[0].Expr).Selectors[0].Matchers, m => m.Label == "pod");

        Assert.Equal("reporting-for-the-payments-team-in-prod-lease-.*", pods.Value);
        Assert.Matches("^" + pods.Value + "$", "reporting-for-the-payments-team-in-prod-lease-a-7d9c5b8f6-x2x9q"[..58] + "x2x9q");
    }

    [Fact]
    public void Dashboard_IsImportableGrafanaJson_WithDatasourceAndCredentialVariables()
    {
        using var dashboard = JsonDocument.Parse(File.ReadAllText(DashboardPath));
        var root = dashboard.RootElement;
        var variables = root.GetProperty("templating").GetProperty("list").EnumerateArray().ToDictionary(v => v.GetProperty("name").GetString()!, v => v);
        var panels = root.GetProperty("panels").EnumerateArray().ToList();

        Assert.False(string.IsNullOrEmpty(root.GetProperty("uid").GetString()));
        Assert.False(string.IsNullOrEmpty(root.GetProperty("title").GetString()));
        Assert.True(root.GetProperty("schemaVersion").GetInt32() >= 36);
        Assert.Equal("datasource", variables["datasource"].GetProperty("type").GetString());
        Assert.Equal("prometheus", variables["datasource"].GetProperty("query").GetString());
        Assert.Equal("query", variables["credential"].GetProperty("type").GetString());
        Assert.Equal(panels.Count, panels.Select(p => p.GetProperty("id").GetInt32()).Distinct().Count());
        Assert.All(panels, panel =>
        {
            var title = panel.GetProperty("title").GetString();
            var grid = panel.GetProperty("gridPos");
            Assert.True(grid.GetProperty("x").GetInt32() + grid.GetProperty("w").GetInt32() <= 24, $"{title} is wider than the grid");
            if (panel.GetProperty("type").GetString() == "row")
            {
                return;
            }

            Assert.Equal("${datasource}", panel.GetProperty("datasource").GetProperty("uid").GetString());
            var targets = panel.GetProperty("targets").EnumerateArray().ToList();
            Assert.NotEmpty(targets);
            Assert.Equal(targets.Count, targets.Select(t => t.GetProperty("refId").GetString()).Distinct().Count());
            Assert.All(targets, target => Assert.Equal("${datasource}", target.GetProperty("datasource").GetProperty("uid").GetString()));
        });
        Assert.All(Queries(root).Where(q => q.Expr.Contains("credential=~", StringComparison.Ordinal)), q => Assert.Contains("credential=~\"$credential\"", q.Expr, StringComparison.Ordinal));
    }

    [Fact]
    public void Dashboard_HasThePanelsOperatorsLookFor()
    {
        using var dashboard = JsonDocument.Parse(File.ReadAllText(DashboardPath));
        var names = Queries(dashboard.RootElement).SelectMany(q => PromQl.Parse(q.Expr).MetricNames).ToHashSet(StringComparer.Ordinal);

        Assert.Superset(
            new HashSet<string>(StringComparer.Ordinal)
            {
                "leaseagent_lease_time_left_seconds", "leaseagent_lease_time_to_hard_end_seconds", "leaseagent_renewals_total",
                "leaseagent_rotations_total", "leaseagent_revocations_total", "leaseagent_credential_state", "leaseagent_credential_degraded",
                "leaseagent_credential_ready", "leaseagent_generation", "leaseagent_probe_failures_total", "process_working_set_bytes",
                "process_cpu_seconds_total",
            },
            names);
    }

    [Theory]
    [MemberData(nameof(Catalogues))]
    public void Dashboard_EveryQuery_IsWellFormedAndNamesOnlyExportedMetricsLabelsAndValues(string catalogue)
    {
        using var dashboard = JsonDocument.Parse(File.ReadAllText(DashboardPath));
        var metrics = MetricCatalogue.Named(catalogue);
        var queries = Queries(dashboard.RootElement);

        var findings = queries.SelectMany(q => PromQl.Check(q.Where, q.Expr, metrics)).ToList();

        Assert.True(findings.Count == 0, string.Join("\n", findings));
        Assert.All(queries, q => Assert.Contains(PromQl.Parse(q.Expr).MetricNames, name => name.StartsWith("leaseagent_", StringComparison.Ordinal) || name.StartsWith("process_", StringComparison.Ordinal)));
    }

    [Fact]
    public void Dashboard_ConfigMapCarriesTheFileUnderTheSidecarsLabel()
    {
        var standard = KubernetesApiTypes.Decode<k8s.Models.V1ConfigMap>(Assert.Single(ChartRenderer.Render(DashboardOn).Documents, d => d.Kind() == "ConfigMap"));
        var custom = KubernetesApiTypes.Decode<k8s.Models.V1ConfigMap>(Assert.Single(
            ChartRenderer.Render(DashboardOn + "    label: dashboards.example/grafana\n    labelValue: lease\n    namespace: monitoring\n    annotations:\n      grafana_folder: LeaseAgent\n").Documents,
            d => d.Kind() == "ConfigMap"));

        Assert.Equal("1", standard.Metadata.Labels["grafana_dashboard"]);
        Assert.Equal("shop", standard.Metadata.NamespaceProperty);
        Assert.Equal(File.ReadAllText(DashboardPath).Trim(), Assert.Single(standard.Data).Value);
        Assert.Equal("lease", custom.Metadata.Labels["dashboards.example/grafana"]);
        Assert.DoesNotContain("grafana_dashboard", custom.Metadata.Labels.Keys);
        Assert.Equal("monitoring", custom.Metadata.NamespaceProperty);
        Assert.Equal("LeaseAgent", custom.Metadata.Annotations["grafana_folder"]);
    }

    [Fact]
    public void PrometheusRule_EveryExpression_ParsesWithPrometheusGrammar()
    {
        var rules = Rules(ChartRenderer.Render(RuleOn));

        var errors = PromQlGrammar.Errors(rules.Select(r => r.Expr).ToList());

        var findings = rules.Zip(errors).SelectMany(pair => pair.Second.Select(error => $"{pair.First.Alert}: {error}")).ToList();
        Assert.True(findings.Count == 0, string.Join("\n", findings));
    }

    [Fact]
    public void Dashboard_EveryQuery_ParsesWithPrometheusGrammar()
    {
        using var dashboard = JsonDocument.Parse(File.ReadAllText(DashboardPath));
        var queries = Queries(dashboard.RootElement);

        var errors = PromQlGrammar.Errors(queries.Select(q => PromQlGrammar.AsSentByGrafana(q.Expr)).ToList());

        var findings = queries.Zip(errors).SelectMany(pair => pair.Second.Select(error => $"{pair.First.Where}: {error}")).ToList();
        Assert.True(findings.Count == 0, string.Join("\n", findings));
    }

    /// <summary>Prometheus's grammar refuses what Prometheus would (so the two tests above can fail).</summary>
    [Theory]
    [InlineData("sum by (credential) (increase(leaseagent_revocations_total[15m])) > 0", true)]
    [InlineData("leaseagent_ready == 0 unless on (namespace, pod) leaseagent_credential_ready", true)]
    [InlineData("incrase(leaseagent_revocations_total[15m]) > 0", false)]
    [InlineData("sum(rate(leaseagent_renewals_total[5m])", false)]
    [InlineData("rate(leaseagent_renewals_total[5 minutes])", false)]
    [InlineData("leaseagent_ready{result=\"ok} == 0", false)]
    [InlineData("sum by credential (leaseagent_ready)", false)]
    public void Grammar_RefusesWhatPrometheusRefuses(string expression, bool parses)
    {
        var errors = Assert.Single(PromQlGrammar.Errors([expression]));

        Assert.True(parses == (errors.Count == 0), $"{expression}: {string.Join("; ", errors)}");
    }

    /// <summary>The checker the tests above rely on finds each kind of mistake (so their passing means something).</summary>
    [Theory]
    [InlineData("rate(leaseagent_renewal_total{result=\"ok\"}[5m])", "leaseagent_renewal_total is not a metric")]
    [InlineData("sum by (reason) (rate(leaseagent_renewals_total[5m]))", "groups by reason, which leaseagent_renewals_total does not have")]
    [InlineData("leaseagent_rotations_total{result=\"capped\"}", "result is never \"capped\"")]
    [InlineData("leaseagent_credential_state{state=~\"Active|Renewed\"} == 1", "state is never \"Renewed\"")]
    [InlineData("leaseagent_ready{credential=\"a/b\"} == 0", "leaseagent_ready has no label credential")]
    [InlineData("incrase(leaseagent_revocations_total[15m]) > 0", "unknown function incrase(")]
    [InlineData("sum(rate(leaseagent_renewals_total[5m])", "'(' is not closed")]
    [InlineData("rate(leaseagent_renewals_total[5 minutes])", "is not a duration")]
    [InlineData("leaseagent_ready{result=\"ok} == 0", "a string is not closed")]
    [InlineData("process_resident_memory_bytes", "process_resident_memory_bytes is not a metric")]
    public void Check_FindsEachKindOfMistake(string expression, string finding)
    {
        foreach (var catalogue in new[] { MetricCatalogue.Documented, MetricCatalogue.Exported })
        {
            var findings = PromQl.Check("test", expression, catalogue);

            Assert.True(findings.Any(f => f.Contains(finding, StringComparison.Ordinal)), $"{catalogue.Source}: no '{finding}' in:\n" + string.Join("\n", findings));
        }
    }

    [Fact]
    public void Catalogues_DocsAndExposition_AgreeOnTheFamiliesTheKitUses()
    {
        var documented = MetricCatalogue.Documented;
        var exported = MetricCatalogue.Exported;

        Assert.Contains("leaseagent_credential_state", exported.Families);
        Assert.Equal(new[] { "credential", "state" }, exported.Labels("leaseagent_credential_state").Keys.Order(StringComparer.Ordinal));
        Assert.Equal(new[] { "capped", "failed", "lost", "ok" }, documented.Labels("leaseagent_renewals_total")["result"]!.Order(StringComparer.Ordinal));
        Assert.True(documented.Labels("leaseagent_state")["state"]!.SetEquals(documented.Labels("leaseagent_credential_state")["state"]!));
        Assert.Null(documented.Labels("leaseagent_renewals_total")["credential"]);
        Assert.Contains("leaseagent_lease_time_left_seconds", exported.Families);
    }

    private static string DashboardPath => Path.Combine(ChartRenderer.ChartDirectory, "dashboards", "lease-agent.json");

    private static List<Rule> Rules(RenderedChart chart)
    {
        var rule = KubernetesApiTypes.Decode<PrometheusRule>(Assert.Single(chart.Documents, d => d.Kind() == "PrometheusRule"));
        return Assert.Single(rule.Spec.Groups!).Rules.ToList();
    }

    /// <summary>Every PromQL of the dashboard: each panel target's <c>expr</c>, and the series selector of each <c>label_values</c> variable.</summary>
    private static List<(string Where, string Expr)> Queries(JsonElement dashboard)
    {
        var queries = new List<(string, string)>();
        foreach (var panel in dashboard.GetProperty("panels").EnumerateArray().Where(p => p.TryGetProperty("targets", out _)))
        {
            foreach (var target in panel.GetProperty("targets").EnumerateArray())
            {
                queries.Add(($"panel '{panel.GetProperty("title").GetString()}' {target.GetProperty("refId").GetString()}", target.GetProperty("expr").GetString()!));
            }
        }

        foreach (var variable in dashboard.GetProperty("templating").GetProperty("list").EnumerateArray().Where(v => v.GetProperty("type").GetString() == "query"))
        {
            var definition = variable.GetProperty("definition").GetString()!;
            var labelValues = LabelValues().Match(definition);
            Assert.True(labelValues.Success, $"variable {variable.GetProperty("name").GetString()}: not label_values(selector, label): {definition}");
            // The label asked for must be one the selector's metric has: ask for it in a by clause.
            queries.Add(($"variable {variable.GetProperty("name").GetString()}", $"count by ({labelValues.Groups["label"].Value}) ({labelValues.Groups["selector"].Value})"));
        }

        return queries;
    }

    /// <summary>GitHub's anchors of docs/operations.md's headings.</summary>
    private static HashSet<string> RunbookAnchors() =>
        File.ReadAllLines(Path.Combine(RepositoryRoot.Path, "docs", "operations.md"))
            .Where(line => line.StartsWith('#'))
            .Select(line => Regex.Replace(line.TrimStart('#').Trim().ToLowerInvariant(), "[^a-z0-9 _-]", "").Replace(' ', '-'))
            .ToHashSet(StringComparer.Ordinal);

    private static Dictionary<string, object?> Deployment(RenderedChart chart) => Assert.Single(chart.Documents, d => d.Kind() == "Deployment");

    [GeneratedRegex("^label_values\\((?<selector>.+),\\s*(?<label>[a-zA-Z_][a-zA-Z0-9_]*)\\s*\\)$")]
    private static partial Regex LabelValues();

    [GeneratedRegex("^(0|([0-9]+(ms|s|m|h|d|w|y))+)$")]
    private static partial Regex PrometheusDuration();
}
