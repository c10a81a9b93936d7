using System.Text.RegularExpressions;
using k8s.Models;
using LeaseAgent.Configuration;
using Microsoft.Extensions.Configuration;
using ScaiVault.Hosting.Configuration;

namespace LeaseAgent.Packaging.Tests.Infrastructure;

/// <summary>How the agent runs in a container.</summary>
public enum AgentRole
{
    /// <summary>An init container with <c>restartPolicy: Always</c> running <c>lease-agent run</c>.</summary>
    NativeSidecar,

    /// <summary>A regular container running <c>lease-agent run</c> beside other containers.</summary>
    ClassicSidecar,

    /// <summary>An ordinary init container running <c>lease-agent init</c>, or a Job's container doing so (a pre-deploy Job).</summary>
    Init,

    /// <summary><c>lease-agent run -- CMD</c>: the agent supervises the command.</summary>
    Supervisor,
}

/// <summary>A container that runs lease-agent, with what the checks learned about it.</summary>
internal sealed record AgentContainer(
    Dictionary<string, object?> Workload,
    Dictionary<string, object?> Pod,
    Dictionary<string, object?> Container,
    AgentRole Role,
    IReadOnlyDictionary<string, string> Environment);

/// <summary>
/// The structural rules every pod of the chart and the samples must follow. Each check adds a finding (a
/// sentence naming the object and container) instead of throwing, so one run lists every problem.
/// </summary>
internal static partial class PodChecks
{
    public const string RoleAnnotation = "scaikey.scailabs.ai/role";

    private const string DefaultTokenFile = "/var/run/secrets/scaivault/token";
    private const string DefaultOutputFile = "/run/secrets/db.json";

    /// <summary>Every container running lease-agent in <paramref name="documents"/>.</summary>
    public static List<AgentContainer> Agents(IEnumerable<Dictionary<string, object?>> documents)
    {
        var agents = new List<AgentContainer>();
        foreach (var document in documents)
        {
            if (document.PodSpec() is not { } pod)
            {
                continue;
            }

            foreach (var container in pod.Maps("initContainers"))
            {
                if (Invocation(container) is { } invocation)
                {
                    var native = container.Str("restartPolicy") == "Always";
                    var role = invocation.Contains("--") ? AgentRole.Supervisor
                        : native ? AgentRole.NativeSidecar
                        : invocation.FirstOrDefault() == "init" ? AgentRole.Init
                        : AgentRole.ClassicSidecar; // `run` in an ordinary init container: reported below
                    agents.Add(new AgentContainer(document, pod, container, role, Env(container)));
                }
            }

            foreach (var container in pod.Maps("containers"))
            {
                if (Invocation(container) is { } invocation)
                {
                    var role = invocation.Contains("--") ? AgentRole.Supervisor
                        : invocation.FirstOrDefault() == "init" && document.Kind() is "Job" or "CronJob" ? AgentRole.Init // runs once, then the Job completes
                        : AgentRole.ClassicSidecar;
                    agents.Add(new AgentContainer(document, pod, container, role, Env(container)));
                }
            }
        }

        return agents;
    }

    /// <summary>The words after <c>lease-agent</c>, or null when the container does not run it.</summary>
    public static List<string>? Invocation(Dictionary<string, object?> container)
    {
        var command = container.Strings("command");
        var args = container.Strings("args");
        if (command.Count > 0)
        {
            return IsAgentBinary(command[0]) ? [.. command.Skip(1), .. args] : null;
        }

        // No command: the image's ENTRYPOINT. Only the lease-agent image has lease-agent as its entrypoint
        // (and `run` as its CMD).
        var image = container.Str("image") ?? "";
        return image.Split('@')[0].Split(':')[0].EndsWith("/lease-agent", StringComparison.Ordinal)
            ? (args.Count > 0 ? args : ["run"])
            : null;
    }

    public static Dictionary<string, string> Env(Dictionary<string, object?> container) =>
        container.Maps("env").Where(e => e.Get("value") is string).ToDictionary(e => e.Str("name") ?? "", e => e.Str("value")!);

    /// <summary>
    /// Rules for every manifest and pod: each manifest decodes strictly into its Kubernetes API type
    /// (<see cref="KubernetesApiTypes"/>), then the hardening of every container, init-container rules, volumes.
    /// </summary>
    /// <param name="documents">The manifests.</param>
    /// <param name="allowRoot">
    /// Skip the non-root rules (runAsNonRoot, a non-zero runAsUser) and keep the rest: for the CSI provider's DaemonSet,
    /// whose socket lives in a root-owned host directory.
    /// </param>
    public static List<string> CheckPods(IEnumerable<Dictionary<string, object?>> documents, bool allowRoot = false)
    {
        var findings = new List<string>();
        foreach (var document in documents)
        {
            object model;
            try
            {
                model = KubernetesApiTypes.Decode(document);
            }
            catch (ManifestException e)
            {
                findings.Add(e.Message);
                continue;
            }

            if (PodSpecOf(model) is not { } pod)
            {
                continue;
            }

            var where = document.Describe();
            var volumes = (pod.Volumes ?? []).ToDictionary(v => v.Name);
            foreach (var volume in volumes.Values.Where(v => v.EmptyDir is { SizeLimit: null }))
            {
                findings.Add($"{where}: emptyDir volume '{volume.Name}' has no sizeLimit");
            }

            foreach (var (container, isInit) in (pod.InitContainers ?? []).Select(c => (c, true)).Concat(pod.Containers.Select(c => (c, false))))
            {
                var at = $"{where} container {container.Name}";
                if (!isInit && container.RestartPolicy is not null)
                {
                    findings.Add($"{at}: restartPolicy is only allowed on init containers");
                }

                if (isInit && container.RestartPolicy is { } policy && policy != "Always")
                {
                    findings.Add($"{at}: an init container's restartPolicy can only be Always");
                }

                if (isInit && container.RestartPolicy != "Always" && (container.ReadinessProbe ?? container.LivenessProbe ?? container.StartupProbe) is not null)
                {
                    findings.Add($"{at}: an ordinary init container cannot have probes");
                }

                CheckHardening(at, pod.SecurityContext, container.SecurityContext, allowRoot, findings);

                foreach (var mount in (container.VolumeMounts ?? []).Where(m => !volumes.ContainsKey(m.Name)))
                {
                    findings.Add($"{at}: volumeMount '{mount.Name}' names no volume of the pod");
                }
            }
        }

        return findings;
    }

    /// <summary>The pod template of a workload, or the spec of a Pod; null for other kinds.</summary>
    private static V1PodSpec? PodSpecOf(object model) => model switch
    {
        V1Pod pod => pod.Spec,
        V1Deployment deployment => deployment.Spec.Template.Spec,
        V1StatefulSet statefulSet => statefulSet.Spec.Template.Spec,
        V1DaemonSet daemonSet => daemonSet.Spec.Template.Spec,
        V1ReplicaSet replicaSet => replicaSet.Spec.Template?.Spec,
        V1Job job => job.Spec.Template.Spec,
        V1CronJob cronJob => cronJob.Spec.JobTemplate.Spec?.Template.Spec,
        _ => null,
    };

    private static void CheckHardening(string at, V1PodSecurityContext? pod, V1SecurityContext? container, bool allowRoot, List<string> findings)
    {
        if (!allowRoot && (container?.RunAsNonRoot ?? pod?.RunAsNonRoot) is not true)
        {
            findings.Add($"{at}: runAsNonRoot is not true");
        }

        if (!allowRoot && (container?.RunAsUser ?? pod?.RunAsUser) is not > 0)
        {
            findings.Add($"{at}: no numeric non-root runAsUser (pod or container)");
        }

        if (container?.ReadOnlyRootFilesystem is not true)
        {
            findings.Add($"{at}: readOnlyRootFilesystem is not true");
        }

        if (container?.AllowPrivilegeEscalation is not false)
        {
            findings.Add($"{at}: allowPrivilegeEscalation is not false");
        }

        if (container?.Privileged is true)
        {
            findings.Add($"{at}: privileged");
        }

        if (container?.Capabilities?.Drop?.Contains("ALL") is not true)
        {
            findings.Add($"{at}: capabilities do not drop ALL");
        }

        if (container?.Capabilities?.Add is { Count: > 0 })
        {
            findings.Add($"{at}: adds capabilities");
        }

        if ((container?.SeccompProfile ?? pod?.SeccompProfile)?.Type != "RuntimeDefault")
        {
            findings.Add($"{at}: seccompProfile is not RuntimeDefault");
        }
    }

    /// <summary>Rules for pods that run the agent: token, memory volume, probes, shutdown budget, service account.</summary>
    public static List<string> CheckAgents(IReadOnlyList<Dictionary<string, object?>> documents, string expectedAudience = "scaivault")
    {
        var findings = new List<string>();
        foreach (var agent in Agents(documents))
        {
            var at = $"{agent.Workload.Describe()} container {agent.Container.Str("name")}";
            var pod = agent.Pod;
            var env = agent.Environment;
            var volumes = pod.Maps("volumes").ToDictionary(v => v.Str("name") ?? "?");
            var mounts = agent.Container.Maps("volumeMounts").ToList();

            if (!env.ContainsKey("SCAIVAULT_URL"))
            {
                findings.Add($"{at}: SCAIVAULT_URL is not set");
            }

            // The projected, audience-bound token where SCAIVAULT_TOKEN_FILE points.
            var tokenFile = env.GetValueOrDefault("SCAIVAULT_TOKEN_FILE", DefaultTokenFile);
            var tokenMount = MountOf(mounts, tokenFile);
            var tokenSource = tokenMount is null ? null
                : volumes.GetValueOrDefault(tokenMount.Str("name") ?? "").Map("projected").Maps("sources")
                    .Select(s => s.Map("serviceAccountToken")).FirstOrDefault(s => s is not null);
            if (tokenMount is null || tokenSource is null)
            {
                findings.Add($"{at}: {tokenFile} is not on a projected serviceAccountToken volume");
            }
            else
            {
                if (tokenMount.Get("readOnly") is not true)
                {
                    findings.Add($"{at}: the token volume is not mounted readOnly");
                }

                if (tokenSource.Str("audience") != expectedAudience)
                {
                    findings.Add($"{at}: the projected token's audience is '{tokenSource.Str("audience")}', not '{expectedAudience}'");
                }

                if (K8s.Number(tokenSource.Get("expirationSeconds")) is not { } expiry || expiry < 600)
                {
                    findings.Add($"{at}: the projected token has no expirationSeconds of at least 600");
                }

                if (tokenSource.Str("path") != RelativeTo(tokenMount.Str("mountPath")!, tokenFile))
                {
                    findings.Add($"{at}: the projected token's path '{tokenSource.Str("path")}' is not {tokenFile}");
                }
            }

            // Every file the agent writes is on a memory emptyDir with a sizeLimit, writable by the agent and
            // read-only in every other container of the pod.
            var outputs = new List<string>();
            if (env.TryGetValue(CredentialListParser.Key, out var credentials))
            {
                outputs.AddRange(CredentialFiles(credentials, env, at, findings));
                if (env.ContainsKey("LEASE_ENGINE") || env.ContainsKey("LEASE_ROLE"))
                {
                    findings.Add($"{at}: {CredentialListParser.Key} and LEASE_ENGINE/LEASE_ROLE exclude each other");
                }
            }
            else if (agent.Role != AgentRole.Init || env.ContainsKey("LEASE_ENGINE"))
            {
                outputs.Add(env.GetValueOrDefault("OUTPUT_FILE", DefaultOutputFile));
            }

            // The journal holds the credential in service: it belongs on the memory volume too.
            if (env.TryGetValue("STATE_DIR", out var stateDirectory))
            {
                outputs.Add(stateDirectory.TrimEnd('/') + "/journal.json");
            }

            // secret: targets go to the Kubernetes API, not to a file of the pod.
            var targets = SecretTargets(env.GetValueOrDefault("SECRETS", ""));
            outputs.AddRange(targets.Where(t => !t.StartsWith("secret:", StringComparison.Ordinal)));
            if (outputs.Count == 0 && targets.Count == 0)
            {
                findings.Add($"{at}: writes nothing (no LEASE_ENGINE, no CREDENTIALS and no SECRETS)");
            }

            foreach (var output in outputs)
            {
                var mount = MountOf(mounts, output);
                var volume = mount is null ? null : volumes.GetValueOrDefault(mount.Str("name") ?? "");
                if (mount is null || volume.Map("emptyDir") is not { } emptyDir || emptyDir.Str("medium") != "Memory")
                {
                    findings.Add($"{at}: {output} is not on a memory-backed emptyDir");
                    continue;
                }

                if (emptyDir.Get("sizeLimit") is null)
                {
                    findings.Add($"{at}: the memory volume of {output} has no sizeLimit");
                }

                if (mount.Get("readOnly") is true)
                {
                    findings.Add($"{at}: the agent mounts {output}'s volume readOnly");
                }

                foreach (var other in pod.Maps("initContainers").Concat(pod.Maps("containers")).Where(c => !ReferenceEquals(c, agent.Container)))
                {
                    if (Invocation(other) is not null)
                    {
                        continue;
                    }

                    foreach (var shared in other.Maps("volumeMounts").Where(m => m.Str("name") == mount.Str("name")))
                    {
                        if (shared.Get("readOnly") is not true)
                        {
                            findings.Add($"{at}: container {other.Str("name")} mounts the secrets volume writable (must be readOnly)");
                        }
                    }
                }
            }

            CheckRole(agent, at, findings);
            CheckServiceAccount(agent, documents, at, findings);

            var resources = agent.Container.Map("resources");
            if (resources.Map("requests").Get("cpu") is null || resources.Map("requests").Get("memory") is null || resources.Map("limits").Get("memory") is null)
            {
                findings.Add($"{at}: resources need cpu and memory requests and a memory limit");
            }

            if (env.TryGetValue("OUTPUT_MODE", out var mode) && !FileMode().IsMatch(mode))
            {
                findings.Add($"{at}: OUTPUT_MODE '{mode}' is not an octal file mode");
            }

            if (env.TryGetValue("OUTPUT_FORMAT", out var format) && format is not ("json" or "env" or "pgpass" or "uri"))
            {
                findings.Add($"{at}: OUTPUT_FORMAT '{format}' is not json, env, pgpass or uri");
            }

            if (env.ContainsKey("LEASE_ENGINE") != env.ContainsKey("LEASE_ROLE"))
            {
                findings.Add($"{at}: LEASE_ENGINE and LEASE_ROLE go together");
            }

            if (env.ContainsKey("LEASE_ENGINE") && !(env.ContainsKey("DB_HOST") && env.ContainsKey("DB_NAME")))
            {
                findings.Add($"{at}: a dynamic credential needs DB_HOST and DB_NAME");
            }
        }

        return findings;
    }

    private static void CheckRole(AgentContainer agent, string at, List<string> findings)
    {
        var env = agent.Environment;
        var container = agent.Container;
        var pod = agent.Pod;
        var invocation = Invocation(container)!;
        var initContainers = pod.Maps("initContainers").ToList();

        if (agent.Role is AgentRole.NativeSidecar or AgentRole.ClassicSidecar)
        {
            if (invocation.FirstOrDefault() != "run")
            {
                findings.Add($"{at}: a sidecar runs `lease-agent run`, not `{string.Join(' ', invocation)}`");
            }

            if (initContainers.Contains(container) && agent.Role == AgentRole.ClassicSidecar)
            {
                findings.Add($"{at}: `lease-agent run` in an ordinary init container never finishes; add restartPolicy: Always");
            }

            CheckProbe(container, "readinessProbe", "ready", at, findings);
            CheckProbe(container, "livenessProbe", "live", at, findings);
            if (agent.Role == AgentRole.NativeSidecar)
            {
                CheckProbe(container, "startupProbe", "ready", at, findings);
                if (initContainers.IndexOf(container) != 0)
                {
                    findings.Add($"{at}: the native sidecar is not the first init container");
                }
            }
        }

        if (agent.Role == AgentRole.Init && invocation.FirstOrDefault() != "init")
        {
            findings.Add($"{at}: an init container runs `lease-agent init`");
        }

        if (agent.Role == AgentRole.Supervisor && (invocation.FirstOrDefault() != "run" || invocation.IndexOf("--") != 1 || invocation.Count < 3))
        {
            findings.Add($"{at}: supervisor mode is `lease-agent run -- CMD`, not `{string.Join(' ', invocation)}`");
        }

        if (agent.Role != AgentRole.Init)
        {
            var grace = K8s.Number(pod.Get("terminationGracePeriodSeconds")) ?? 30;
            var shutdown = K8s.ParseDuration(env.GetValueOrDefault("SHUTDOWN_TIMEOUT", "20s"));
            var revokeDelay = K8s.ParseDuration(env.GetValueOrDefault("REVOKE_DELAY", "0s"));
            if (shutdown.TotalSeconds >= grace)
            {
                findings.Add($"{at}: SHUTDOWN_TIMEOUT {shutdown.TotalSeconds} s is not below terminationGracePeriodSeconds {grace}");
            }

            if (revokeDelay >= shutdown && revokeDelay > TimeSpan.Zero)
            {
                findings.Add($"{at}: REVOKE_DELAY {revokeDelay.TotalSeconds} s is not below SHUTDOWN_TIMEOUT {shutdown.TotalSeconds} s");
            }

            if (agent.Role == AgentRole.ClassicSidecar && revokeDelay == TimeSpan.Zero)
            {
                findings.Add($"{at}: a classic sidecar gets SIGTERM with the app; set REVOKE_DELAY so the app can drain first");
            }
        }

        if (env.ContainsKey("RELOAD_PROCESS_NAME") && pod.Get("shareProcessNamespace") is not true)
        {
            findings.Add($"{at}: RELOAD_PROCESS_NAME needs shareProcessNamespace: true");
        }

        if (env.ContainsKey("RELOAD_PROCESS_NAME") && env.ContainsKey("RELOAD_PID_FILE"))
        {
            findings.Add($"{at}: RELOAD_PROCESS_NAME and RELOAD_PID_FILE exclude each other");
        }
    }

    private static void CheckProbe(Dictionary<string, object?> container, string probe, string check, string at, List<string> findings)
    {
        var command = container.Map(probe).Map("exec").Strings("command");
        if (command.Count != 3 || !IsAgentBinary(command[0]) || command[1] != "probe" || command[2] != check)
        {
            findings.Add($"{at}: {probe} is not exec [lease-agent, probe, {check}] (found [{string.Join(", ", command)}])");
        }
    }

    private static void CheckServiceAccount(AgentContainer agent, IReadOnlyList<Dictionary<string, object?>> documents, string at, List<string> findings)
    {
        var name = agent.Pod.Str("serviceAccountName");
        if (name is null)
        {
            findings.Add($"{at}: the pod names no serviceAccountName (the default account has no ScaiKey identity)");
            return;
        }

        var account = documents.FirstOrDefault(d => d.Kind() == "ServiceAccount" && d.Name() == name);
        if (account is null)
        {
            findings.Add($"{at}: ServiceAccount {name} is not defined next to the pod");
        }
        else if (account.Map("metadata").Map("annotations").Str(RoleAnnotation) is not { Length: > 0 })
        {
            findings.Add($"{at}: ServiceAccount {name} has no {RoleAnnotation} annotation");
        }

        if (agent.Pod.Get("automountServiceAccountToken") is not false)
        {
            findings.Add($"{at}: the pod mounts the Kubernetes API token; the agent needs only its projected token (automountServiceAccountToken: false)");
        }
    }

    /// <summary>The mount whose path contains <paramref name="file"/> (the deepest one).</summary>
    private static Dictionary<string, object?>? MountOf(List<Dictionary<string, object?>> mounts, string file) =>
        mounts.Where(m => m.Str("mountPath") is { } path && file.StartsWith(path.TrimEnd('/') + "/", StringComparison.Ordinal))
            .OrderByDescending(m => m.Str("mountPath")!.Length)
            .FirstOrDefault();

    private static string RelativeTo(string directory, string file) => file[(directory.TrimEnd('/').Length + 1)..];

    /// <summary>
    /// The files a CREDENTIALS value publishes, read by the agent's own parser with the container's environment as the
    /// agent-wide defaults; a value the agent would refuse at start is a finding (its message names the line).
    /// </summary>
    public static List<string> CredentialFiles(string credentials, IReadOnlyDictionary<string, string> env, string at, List<string> findings)
    {
        var config = new ConfigurationBuilder().AddInMemoryCollection(env.Select(e => KeyValuePair.Create(e.Key, (string?)e.Value))).Build();
        try
        {
            var parsed = CredentialListParser.Parse(credentials, config, env.GetValueOrDefault("STATE_DIR", "/"));
            if (parsed.Count == 0)
            {
                findings.Add($"{at}: {CredentialListParser.Key} has no line");
            }

            return [.. parsed.Select(c => c.Output.File)];
        }
        catch (ConfigurationException e)
        {
            findings.Add($"{at}: the agent would refuse it: {e.Message}");
            return [];
        }
    }

    /// <summary>The target files of a SECRETS value (<c>path -> /file</c> lines; blank lines and comments skipped).</summary>
    public static List<string> SecretTargets(string secrets) =>
        secrets.Split('\n')
            .Select(line => line.Trim())
            .Where(line => line.Length > 0 && !line.StartsWith('#'))
            .Select(line => line.Split("->") is [_, var target] ? target.Trim() : throw new FormatException($"bad SECRETS line '{line}'"))
            .ToList();

    private static bool IsAgentBinary(string word) => word == "lease-agent" || word.EndsWith("/lease-agent", StringComparison.Ordinal);

    [GeneratedRegex("^0?[0-7]{3}$")]
    private static partial Regex FileMode();
}
