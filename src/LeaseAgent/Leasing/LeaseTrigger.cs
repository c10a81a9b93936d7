namespace LeaseAgent.Leasing;

/// <summary>What can happen to a lease. Fired only by <see cref="Lease"/>'s intent methods.</summary>
public enum LeaseTrigger
{
    Generate,
    Adopt,
    AdoptionFailed,
    Orphaned,
    Issued,
    GenerationFailed,
    ProbePassed,
    ProbeFailed,
    Published,
    PublishFailed,
    RenewDue,
    Renewed,
    RenewalFailed,
    Superseded,
    LeaseLost,
    Revoke,
    RevocationSucceeded,
    RevocationFailed,
}
