namespace ScaiVault.Emulator.Subscriptions;

/// <summary>The event types a subscription may ask for.</summary>
internal static class EventTypes
{
    /// <summary>Version 1 of a secret was written.</summary>
    public const string SecretCreated = "secret.created";

    /// <summary>A later version was written (rotations included).</summary>
    public const string SecretUpdated = "secret.updated";

    /// <summary>A later version was written with the emulator's <c>rotation</c> field; data: <c>old_version</c>, <c>new_version</c>, <c>grace_period_ends</c>.</summary>
    public const string SecretRotated = "secret.rotated";

    /// <summary>Accepted so that subscriptions written for ScaiVault work unchanged; never emitted, as the emulator cannot delete secrets.</summary>
    public const string SecretDeleted = "secret.deleted";

    public static readonly IReadOnlyList<string> All = [SecretCreated, SecretUpdated, SecretRotated, SecretDeleted];
}
