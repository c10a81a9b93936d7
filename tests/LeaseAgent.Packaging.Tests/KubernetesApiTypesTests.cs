using k8s;
using k8s.Models;
using LeaseAgent.Packaging.Tests.Infrastructure;

namespace LeaseAgent.Packaging.Tests;

/// <summary>
/// <see cref="KubernetesApiTypes"/> refuses what the API server's strict field validation refuses, and why it is not
/// KubernetesClient's own <c>KubernetesYaml</c> strict mode.
/// </summary>
public sealed class KubernetesApiTypesTests
{
    private const string Pod = """
        apiVersion: v1
        kind: Pod
        metadata:
          name: web
        spec:
          containers:
            - name: app
              image: example/app:1
              env:
                - name: PORT
                  value: "8080"
              ports:
                - containerPort: 8080
              readinessProbe:
                httpGet:
                  path: /healthz
                  port: 8080
        """;

    [Fact]
    public void Decode_GoodManifest_GivesTheApiType()
    {
        var pod = KubernetesApiTypes.Decode<V1Pod>(Single(Pod));

        Assert.Equal("web", pod.Metadata.Name);
        Assert.Equal("8080", pod.Spec.Containers[0].ReadinessProbe.HttpGet.Port.Value);
        Assert.Equal(8080, pod.Spec.Containers[0].Ports[0].ContainerPort);
    }

    [Theory]
    [InlineData("      port: 8080", "      prot: 8080", "$.spec.containers[0].readinessProbe.httpGet.prot", "'prot' could not be mapped")]
    [InlineData("    readinessProbe:", "    readinesProbe:", "$.spec.containers[0].readinesProbe", "'readinesProbe' could not be mapped")]
    [InlineData("    readinessProbe:", "    ReadinessProbe:", "$.spec.containers[0].ReadinessProbe", "'ReadinessProbe' could not be mapped")]
    [InlineData("value: \"8080\"", "value: 8080", "$.spec.containers[0].env[0].value", "could not be converted to System.String")]
    [InlineData("value: \"8080\"", "value: on", "$.spec.containers[0].env[0].value", "could not be converted to System.String")]
    [InlineData("containerPort: 8080", "containerPort: \"8080\"", "$.spec.containers[0].ports[0].containerPort", "could not be converted to System.Int32")]
    [InlineData("      - containerPort: 8080", "      containerPort: 8080", "$.spec.containers[0].ports", "could not be converted")]
    [InlineData("  - name: app\n", "  - image2: x\n", "$.spec.containers[0].image2", "'image2' could not be mapped")]
    public void Decode_WhatTheApiServerRefuses_NamesTheObjectAndTheField(string good, string bad, string path, string reason)
    {
        Assert.Contains(good, Pod, StringComparison.Ordinal);
        var manifest = Single(Pod.Replace(good, bad, StringComparison.Ordinal));

        var error = Assert.Throws<ManifestException>(() => KubernetesApiTypes.Decode(manifest));

        Assert.StartsWith($"Pod/web: {path}: ", error.Message, StringComparison.Ordinal);
        Assert.Contains(reason, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Decode_UnknownKind_IsRefused()
    {
        var error = Assert.Throws<ManifestException>(() => KubernetesApiTypes.Decode(Single("apiVersion: v1\nkind: Pdo\nmetadata:\n  name: x\n")));

        Assert.Equal("Pdo/x: apiVersion/kind v1/Pdo is not a Kubernetes API type (nor a custom resource the tests model)", error.Message);
    }

    [Fact]
    public void Check_ListsOneFindingPerRefusedManifest()
    {
        var documents = YamlDocuments.LoadAll(Pod.Replace("prot", "port", StringComparison.Ordinal) + "\n---\n" + Pod.Replace("      port: 8080", "      prot: 8080", StringComparison.Ordinal), "inline");

        var finding = Assert.Single(KubernetesApiTypes.Check(documents));

        Assert.Contains("httpGet.prot", finding, StringComparison.Ordinal);
    }

    [Fact]
    public void KubernetesYamlStrict_RefusesAnUnknownField()
    {
        var misspelled = Pod.Replace("      port: 8080", "      prot: 8080", StringComparison.Ordinal);

        Assert.NotNull(KubernetesYaml.Deserialize<V1Pod>(misspelled, strict: false));
        Assert.ThrowsAny<YamlDotNet.Core.YamlException>(() => KubernetesYaml.Deserialize<V1Pod>(misspelled, strict: true));
    }

    [Theory]
    [InlineData("value: \"8080\"", "value: 8080")]
    [InlineData("containerPort: 8080", "containerPort: \"8080\"")]
    public void KubernetesYamlStrict_AcceptsScalarsTheApiServerRefuses(string good, string bad)
    {
        // YamlDotNet converts a scalar by its text, whatever its YAML type: why KubernetesApiTypes goes through JSON.
        var yaml = Pod.Replace(good, bad, StringComparison.Ordinal);

        var pod = KubernetesYaml.Deserialize<V1Pod>(yaml, strict: true);

        Assert.Equal("8080", pod.Spec.Containers[0].Env[0].Value);
        Assert.Throws<ManifestException>(() => KubernetesApiTypes.Decode(Single(yaml)));
    }

    private static Dictionary<string, object?> Single(string yaml) => Assert.Single(YamlDocuments.LoadAll(yaml, "inline"));
}
