using Grpc.Core;

namespace ScaiVault.CsiProvider.Mounting;

/// <summary>
/// A Mount that cannot be served, with the gRPC status the driver should see. The message reaches the pod's events,
/// so it is written for the person who wrote the SecretProviderClass; it never holds a token or a secret value.
/// </summary>
public sealed class MountRequestException(StatusCode code, string message) : Exception(message)
{
    public StatusCode Code { get; } = code;
}
