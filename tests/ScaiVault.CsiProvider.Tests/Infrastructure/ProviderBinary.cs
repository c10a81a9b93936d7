using LeaseAgent.Testing;

namespace ScaiVault.CsiProvider.Tests.Infrastructure;

/// <summary>
/// The published Native AOT <c>scaivault-csi-provider</c>: published once per test run into
/// <c>artifacts/test-csi-aot/provider</c>, or the binary <c>SCAIVAULT_CSI_PROVIDER_BINARY</c> names.
/// </summary>
public static class ProviderBinary
{
    public const string EnvironmentVariable = "SCAIVAULT_CSI_PROVIDER_BINARY";

    private static readonly PublishedBinary Provider = new(
        "src/ScaiVault.CsiProvider/ScaiVault.CsiProvider.csproj", "scaivault-csi-provider", "provider", EnvironmentVariable);

    public static Task<string> GetPathAsync() => Provider.GetPathAsync("test-csi-aot");
}
