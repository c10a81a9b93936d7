using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace LeaseAgent.Hosting;

/// <summary><c>lease-agent version</c>: version, commit and runtime.</summary>
public static class AgentVersion
{
    /// <summary>The informational version, e.g. <c>0.1.0+3f2a1c9…</c> (the SDK appends the git commit).</summary>
    public static string Informational =>
        typeof(AgentVersion).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown";

    public static string Version => Informational.Split('+')[0];

    public static string Commit => Informational.Contains('+', StringComparison.Ordinal) ? Informational.Split('+')[1] : "unknown";

    public static string Describe() =>
        $"lease-agent {Version}\ncommit: {Commit}\nruntime: {RuntimeInformation.FrameworkDescription} {RuntimeInformation.RuntimeIdentifier}\naot: {!RuntimeFeature.IsDynamicCodeSupported}";
}
