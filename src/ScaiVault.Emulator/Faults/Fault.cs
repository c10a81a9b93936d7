namespace ScaiVault.Emulator.Faults;

/// <summary>
/// An injected fault. Each matching request is hit with probability <see cref="Rate"/> (and,
/// with <see cref="Count"/>, only that many times): it waits <see cref="LatencyMs"/>, then is
/// dropped, answered with <see cref="Status"/>, or (latency only) handled normally. With
/// <see cref="AfterHandling"/> the request is handled first and only its answer is delayed or dropped:
/// the server did the work, the client never learns of it (a generate whose lease id is lost).
/// </summary>
internal sealed record Fault(
    string Route,
    int? Status,
    string? Code,
    double Rate,
    int LatencyMs,
    bool Drop,
    int? Count,
    int RetryAfterSeconds,
    bool AfterHandling = false);
