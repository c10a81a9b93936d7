namespace LeaseAgent.Diagnostics;

/// <summary>
/// One credential's view of <see cref="LeaseMetrics"/>: what its lease supervisor records, counted under its name
/// (the <c>credential</c> label).
/// </summary>
public sealed class CredentialMetrics
{
    private readonly LeaseMetrics _metrics;

    internal CredentialMetrics(LeaseMetrics metrics, string credential)
    {
        _metrics = metrics;
        Credential = credential;
    }

    public string Credential { get; }

    /// <inheritdoc cref="LeaseMetrics.RenewalCompleted"/>
    public void RenewalCompleted(string result) => _metrics.RenewalCompleted(result);

    /// <inheritdoc cref="LeaseMetrics.RotationCompleted"/>
    public void RotationCompleted(string result) => _metrics.RotationCompleted(result);

    /// <inheritdoc cref="LeaseMetrics.ProbeFailed"/>
    public void ProbeFailed(string reason) => _metrics.ProbeFailed(reason);

    /// <inheritdoc cref="LeaseMetrics.RevocationCompleted"/>
    public void RevocationCompleted(string result) => _metrics.RevocationCompleted(result);
}
