using System.Text.Json;

namespace LeaseAgent.ChaosTests.Harness;

/// <summary>
/// Every secret minted during the run — lease passwords and access tokens as the emulator hands them out
/// (<see cref="EmulatorSecretTap"/>), the workload JWTs, the root passwords — and a scanner for log lines (I4).
/// A process can only log a secret it received, and every secret is recorded before it leaves the emulator, so
/// scanning each agent's output when it has exited covers everything it could have leaked.
/// </summary>
public sealed class SecretLedger
{
    /// <summary>Long secrets are found by their first characters, so a line is scanned in one pass.</summary>
    private const int PrefixLength = 16;

    /// <summary>Shorter strings are too likely to occur by chance to count as a leak.</summary>
    private const int MinimumLength = 8;

    private static readonly HashSet<string> SecretKeys = ["password", "access_token", "token", "client_secret", "refresh_token"];

    private readonly Lock _gate = new();
    private readonly Dictionary<string, string> _kinds = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<string>> _byPrefix = new(StringComparer.Ordinal);
    private readonly List<string> _short = [];
    private long _linesScanned;

    public long LinesScanned => Interlocked.Read(ref _linesScanned);

    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _kinds.Count;
            }
        }
    }

    public IReadOnlyDictionary<string, int> CountByKind()
    {
        lock (_gate)
        {
            return _kinds.Values.GroupBy(k => k, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
        }
    }

    public void Add(string? secret, string kind)
    {
        if (secret is null || secret.Length < MinimumLength)
        {
            return;
        }

        lock (_gate)
        {
            if (!_kinds.TryAdd(secret, kind))
            {
                return;
            }

            if (secret.Length < PrefixLength)
            {
                _short.Add(secret);
                return;
            }

            var prefix = secret[..PrefixLength];
            if (!_byPrefix.TryGetValue(prefix, out var secrets))
            {
                _byPrefix[prefix] = secrets = [];
            }

            secrets.Add(secret);
        }
    }

    /// <summary>Records the values of secret-bearing keys (<c>password</c>, <c>access_token</c>, …) anywhere in a JSON body.</summary>
    public void AddFromJson(ReadOnlySpan<byte> json, string kind)
    {
        try
        {
            using var document = JsonDocument.Parse(json.ToArray());
            Collect(document.RootElement, kind);
        }
        catch (JsonException)
        {
            // Not JSON (an aborted answer, an error page): nothing to record.
        }
    }

    /// <summary>The kinds of the secrets in <paramref name="line"/>; empty when it holds none.</summary>
    public IReadOnlyList<string> FindIn(string line)
    {
        Interlocked.Increment(ref _linesScanned);
        List<string>? found = null;
        lock (_gate)
        {
            var lookup = _byPrefix.GetAlternateLookup<ReadOnlySpan<char>>();
            var span = line.AsSpan();
            for (var i = 0; i + PrefixLength <= span.Length; i++)
            {
                if (lookup.TryGetValue(span.Slice(i, PrefixLength), out var candidates))
                {
                    foreach (var secret in candidates)
                    {
                        if (span[i..].StartsWith(secret, StringComparison.Ordinal))
                        {
                            (found ??= []).Add(_kinds[secret]);
                        }
                    }
                }
            }

            foreach (var secret in _short.Where(s => line.Contains(s, StringComparison.Ordinal)))
            {
                (found ??= []).Add(_kinds[secret]);
            }
        }

        return found ?? (IReadOnlyList<string>)[];
    }

    /// <summary>The line with every known secret replaced, for reports and dumped logs.</summary>
    public string Redact(string line)
    {
        lock (_gate)
        {
            foreach (var secret in _kinds.Keys.Where(s => line.Contains(s, StringComparison.Ordinal)))
            {
                line = line.Replace(secret, $"<{_kinds[secret]}>", StringComparison.Ordinal);
            }
        }

        return line;
    }

    private void Collect(JsonElement element, string kind)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                foreach (var property in element.EnumerateObject())
                {
                    if (property.Value.ValueKind == JsonValueKind.String && SecretKeys.Contains(property.Name))
                    {
                        Add(property.Value.GetString(), property.Name == "password" ? kind : property.Name);
                    }
                    else
                    {
                        Collect(property.Value, kind);
                    }
                }

                break;
            case JsonValueKind.Array:
                foreach (var item in element.EnumerateArray())
                {
                    Collect(item, kind);
                }

                break;
        }
    }
}
