namespace LeaseAgent.Leasing;

/// <summary>Where one credential lease is in its life. See <c>docs/lease-lifecycle.md</c>.</summary>
public enum LeaseState
{
    /// <summary>Created, nothing asked of ScaiVault yet.</summary>
    Pending,

    /// <summary>Generate request in flight; the server may already have minted the user.</summary>
    Generating,

    /// <summary>Found in the journal of a previous agent on this volume: looking it up and renewing it.</summary>
    Adopting,

    /// <summary>Logging in with the new credential; nothing published yet.</summary>
    Probing,

    /// <summary>Writing the output file.</summary>
    Publishing,

    /// <summary>Published and in use by the app.</summary>
    Active,

    /// <summary>Active with a renewal in flight; still ready.</summary>
    Renewing,

    /// <summary>Superseded by a newer lease; the app's sessions are draining off it.</summary>
    Retiring,

    /// <summary>Revoke request in flight.</summary>
    Revoking,

    /// <summary>Revoked at the server: its user is gone. Final.</summary>
    Revoked,

    /// <summary>Never published: generation failed or the probe never passed.</summary>
    Abandoned,

    /// <summary>Expired or revoked out of band; never renewed again.</summary>
    Lost,
}
