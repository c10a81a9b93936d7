using System.Diagnostics;
using System.Globalization;

namespace LeaseAgent.Benchmarks.Infrastructure;

/// <summary>The values one quantity took over the runs; figures report the median.</summary>
public sealed class Samples(string unit, string format = "0.0")
{
    private readonly List<double> _values = [];

    public string Unit { get; } = unit;

    public int Count => _values.Count;

    public IReadOnlyList<double> Values => _values;

    public double Median => Measurements.Median(_values);

    public void Add(double value) => _values.Add(value);

    public void AddRange(IEnumerable<double> values) => _values.AddRange(values);

    /// <summary>The median with its unit, e.g. <c>412.3 ms</c>; <c>–</c> when nothing was measured.</summary>
    public string Format() => Count == 0 ? "–" : $"{Fmt(Median)} {Unit}";

    /// <summary>Median, range and count, e.g. <c>412.3 ms (398.1–450.2, n=3)</c>.</summary>
    public string Describe() => Count == 0
        ? "not measured"
        : $"{Fmt(Median)} {Unit} (min {Fmt(_values.Min())}, max {Fmt(_values.Max())}, n={Count})";

    public string All() => string.Join(", ", _values.Select(Fmt));

    private string Fmt(double value) => value.ToString(format, CultureInfo.InvariantCulture);
}

public static class Measurements
{
    public static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        if (sorted.Length == 0)
        {
            return double.NaN;
        }

        var middle = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
    }

    /// <summary>The nearest-rank percentile (<paramref name="percent"/> of 100), e.g. 99 for p99.</summary>
    public static double Percentile(IEnumerable<double> values, double percent)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length == 0 ? double.NaN : sorted[Math.Clamp((int)Math.Ceiling(percent / 100 * sorted.Length) - 1, 0, sorted.Length - 1)];
    }

    /// <summary>Milliseconds between two Stopwatch timestamps.</summary>
    public static double Ms(long from, long to) => Stopwatch.GetElapsedTime(from, to).TotalMilliseconds;

    public static string F(double value, string format = "0.0") => value.ToString(format, CultureInfo.InvariantCulture);

    /// <summary><c>1.23×</c>, or <c>–</c> when either side is missing.</summary>
    public static string Ratio(double measured, double baseline) =>
        double.IsNaN(measured) || double.IsNaN(baseline) || baseline == 0 ? "–" : F(measured / baseline, "0.00") + "×";
}
