namespace LeaseAgent.Postgres;

/// <summary>Why a probe did not pass; <see cref="ProbeFailure.None"/> when it did.</summary>
public enum ProbeFailure
{
    None,

    /// <summary>Postgres refused the login (SQLSTATE class 28): the credential does not work (yet).</summary>
    AuthenticationFailed,

    /// <summary>Postgres could not be reached or the connection broke.</summary>
    Unreachable,

    /// <summary>Logged in, but as somebody else than the lease's user.</summary>
    WrongUser,

    /// <summary>Logged in, but <c>DB_PROBE_QUERY</c> failed.</summary>
    QueryFailed,
}

/// <summary>The outcome of probing a credential: how many attempts it took and the last error, without secrets.</summary>
public sealed record ProbeResult(ProbeFailure Failure, int Attempts, string? Error)
{
    public bool Passed => Failure == ProbeFailure.None;
}
