using System.Reflection;

namespace ScaiVault.CsiProvider.Hosting;

/// <summary>What <c>Version</c> answers: the provider API version, the runtime name and its semver version.</summary>
public static class ProviderVersion
{
    /// <summary>The driver's provider API version, the only one it speaks.</summary>
    public const string ApiVersion = "v1alpha1";

    public const string RuntimeName = "scaivault-csi-provider";

    /// <summary>The informational version without the SDK's <c>+commit</c> suffix, e.g. <c>0.1.0</c>: the driver requires semver.</summary>
    public static string Version { get; } =
        (typeof(ProviderVersion).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0.0.0").Split('+')[0];
}
