using System.Security.Cryptography;

namespace ScaiVault.Emulator.Faults;

/// <summary>The active faults, one per route; a route's own fault takes precedence over <c>*</c>.</summary>
internal sealed class FaultRegistry
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, Fault> _faults = new(StringComparer.Ordinal);

    public void Set(Fault fault)
    {
        lock (_gate)
        {
            _faults[fault.Route] = fault;
        }
    }

    public void Clear(string? route)
    {
        lock (_gate)
        {
            if (route is null)
            {
                _faults.Clear();
            }
            else
            {
                _faults.Remove(route);
            }
        }
    }

    public IReadOnlyList<Fault> Snapshot()
    {
        lock (_gate)
        {
            return [.. _faults.Values.OrderBy(f => f.Route, StringComparer.Ordinal)];
        }
    }

    /// <summary>The fault that hits this request, if any; consumes one of a counted fault's hits.</summary>
    public Fault? Pick(string? route)
    {
        lock (_gate)
        {
            if (_faults.Count == 0)
            {
                return null;
            }

            var fault = route is not null && _faults.TryGetValue(route, out var own) ? own
                : _faults.TryGetValue(FaultRoutes.Any, out var any) ? any
                : null;
            if (fault is null || !Hits(fault.Rate))
            {
                return null;
            }

            if (fault.Count is { } count)
            {
                if (count <= 1)
                {
                    _faults.Remove(fault.Route);
                }
                else
                {
                    _faults[fault.Route] = fault with { Count = count - 1 };
                }
            }

            return fault;
        }
    }

    private static bool Hits(double rate) =>
        rate >= 1 || (rate > 0 && RandomNumberGenerator.GetInt32(1_000_000) < rate * 1_000_000);
}
