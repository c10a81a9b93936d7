namespace ScaiVault.Emulator.Dynamic;

/// <summary>
/// A failure against an engine's database. The message is safe to return and log: it never
/// contains a password, a verifier or a connection string.
/// </summary>
internal sealed class TargetDatabaseException(string message, TargetFailure failure) : Exception(message)
{
    public TargetFailure Failure { get; } = failure;
}

internal enum TargetFailure
{
    /// <summary>The engine's configuration or root credentials are unusable.</summary>
    Configuration,

    /// <summary>The database could not be reached; worth retrying.</summary>
    Connection,

    /// <summary>A role statement failed.</summary>
    Statement,
}
