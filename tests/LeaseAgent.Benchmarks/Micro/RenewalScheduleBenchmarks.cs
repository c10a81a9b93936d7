using BenchmarkDotNet.Attributes;
using LeaseAgent.Leasing;

namespace LeaseAgent.Benchmarks.Micro;

/// <summary>The lifecycle's timing rules, computed on every grant and every failed renewal.</summary>
public class RenewalScheduleBenchmarks
{
    private readonly TimeSpan _granted = TimeSpan.FromMinutes(15);
    private readonly TimeSpan _requested = TimeSpan.FromMinutes(15);
    private readonly TimeSpan _hardEndIn = TimeSpan.FromHours(20);
    private readonly TimeSpan _configuredRotateBefore = TimeSpan.FromMinutes(10);
    private readonly TimeSpan _lifetime = TimeSpan.FromHours(24);
    private readonly double _jitter = 0.37;

    [Benchmark]
    public TimeSpan RenewAfter() => RenewalSchedule.RenewAfter(_granted, _jitter);

    [Benchmark]
    public TimeSpan RotateAfter() => RenewalSchedule.RotateAfter(_hardEndIn, RenewalSchedule.RotateBefore(_configuredRotateBefore, _lifetime));

    [Benchmark]
    public bool IsCapped() => RenewalSchedule.IsCapped(_requested, _granted, _hardEndIn);

    [Benchmark]
    public TimeSpan RetryAfter() => RenewalSchedule.RetryAfter(5, _granted, _jitter);
}
