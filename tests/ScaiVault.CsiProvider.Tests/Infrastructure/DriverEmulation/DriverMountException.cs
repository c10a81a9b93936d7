namespace ScaiVault.CsiProvider.Tests.Infrastructure.DriverEmulation;

/// <summary>
/// A mount the driver would fail, with the error code <c>MountContent</c> returns beside the error (a metrics
/// label in the driver) and the driver's own message text.
/// </summary>
public sealed class DriverMountException(string errorCode, string message, Exception? inner = null) : Exception(message, inner)
{
    /// <summary>One of <see cref="DriverErrorCode"/>, or the provider's own <c>MountResponse.error.code</c>.</summary>
    public string ErrorCode { get; } = errorCode;
}

/// <summary>The driver's error codes that <c>MountContent</c> returns (<c>pkg/errors/errors.go</c>).</summary>
public static class DriverErrorCode
{
    /// <summary>A gRPC error from the provider, or a response without object versions.</summary>
    public const string GrpcProviderError = "GRPCProviderError";

    /// <summary><c>fileutil.WritePayloads</c> failed: a bad path, or the write itself.</summary>
    public const string FileWriteError = "FileWriteError";
}
