using System.Globalization;

namespace LeaseAgent.Benchmarks.Infrastructure;

/// <summary>
/// The anonymous resident memory of a process by what holds it, from <c>/proc/&lt;pid&gt;/smaps</c>. Heuristic (the
/// kernel does not know who allocated a page), by the shape of each mapping:
/// <list type="bullet">
/// <item>GC heap: unnamed mappings inside a contiguous unnamed range of 1 GiB or more (the .NET GC reserves its
/// regions range at start and commits parts of it).</item>
/// <item>malloc: <c>[heap]</c> (glibc's main arena) and glibc's thread arenas (an unnamed read-write mapping that
/// starts on a 64 MiB boundary, followed by the unused rest of its 64 MiB reservation).</item>
/// <item>stacks: <c>[stack]</c> and read-write unnamed mappings right behind a 4 KiB guard page (thread stacks).</item>
/// <item>binaries: private dirty pages of mapped files (<c>.data</c>, relocations of the executable and its libraries)
/// and the unnamed mapping right behind a file's last segment (its <c>.bss</c>: the AOT binary's statics).</item>
/// <item>other: the rest (mmap'd malloc blocks of 128 KiB and more, the runtime's own tables, and the like).</item>
/// </list>
/// </summary>
public sealed record AnonBreakdown(long GcKiB, long MallocKiB, long StacksKiB, long BinariesKiB, long OtherKiB)
{
    private const long GiB = 1L << 30;
    private const long ArenaSize = 64L << 20;
    private const long GuardSize = 4096;

    public long TotalKiB => GcKiB + MallocKiB + StacksKiB + BinariesKiB + OtherKiB;

    public static AnonBreakdown Read(int pid)
    {
        var mappings = Parse(File.ReadAllLines($"/proc/{pid}/smaps"));

        // Contiguous runs of unnamed mappings, to find the GC's reservation.
        var runSize = new long[mappings.Count];
        for (var i = 0; i < mappings.Count;)
        {
            var j = i;
            while (j + 1 < mappings.Count && mappings[j + 1].Unnamed && mappings[j].Unnamed && mappings[j + 1].Start == mappings[j].End)
            {
                j++;
            }

            for (var k = i; k <= j; k++)
            {
                runSize[k] = mappings[j].End - mappings[i].Start;
            }

            i = j + 1;
        }

        long gc = 0, malloc = 0, stacks = 0, binaries = 0, other = 0;
        for (var i = 0; i < mappings.Count; i++)
        {
            var m = mappings[i];
            if (m.AnonKiB == 0)
            {
                continue;
            }

            var previous = i > 0 ? mappings[i - 1] : null;
            var next = i + 1 < mappings.Count ? mappings[i + 1] : null;
            if (m.Name == "[heap]")
            {
                malloc += m.AnonKiB;
            }
            else if (m.Name == "[stack]")
            {
                stacks += m.AnonKiB;
            }
            else if (!m.Unnamed || (previous is { Unnamed: false, NoInode: false } && previous.End == m.Start))
            {
                // a file's private dirty pages, or the unnamed mapping right behind a file's last segment: its .bss
                binaries += m.AnonKiB;
            }
            else if (runSize[i] >= GiB)
            {
                gc += m.AnonKiB;
            }
            else if (m.Start % ArenaSize == 0 && (m.End - m.Start == ArenaSize || (next is { Unnamed: true, Perms: "---p" } && next.Start == m.End && next.End - m.Start == ArenaSize)))
            {
                malloc += m.AnonKiB;
            }
            else if (previous is { Unnamed: true, Perms: "---p" } && previous.End == m.Start && previous.End - previous.Start == GuardSize)
            {
                stacks += m.AnonKiB;
            }
            else
            {
                other += m.AnonKiB;
            }
        }

        return new AnonBreakdown(gc, malloc, stacks, binaries, other);
    }

    public string Describe() =>
        $"GC heap {Mib(GcKiB)}, malloc {Mib(MallocKiB)}, stacks {Mib(StacksKiB)}, binaries' data {Mib(BinariesKiB)}, other {Mib(OtherKiB)} MiB";

    private static string Mib(long kib) => Measurements.F(kib / 1024.0, "0.00");

    private static List<Mapping> Parse(string[] lines)
    {
        var mappings = new List<Mapping>();
        Mapping? current = null;
        foreach (var line in lines)
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            var isField = colon > 0 && !line[..colon].Contains('-', StringComparison.Ordinal) && !line[..colon].Contains(' ', StringComparison.Ordinal);
            if (!isField)
            {
                // 7f12a000-7f12b000 rw-p 00000000 00:00 0      [name]
                var parts = line.Split(' ', 6, StringSplitOptions.RemoveEmptyEntries);
                var range = parts[0].Split('-');
                current = new Mapping(
                    long.Parse(range[0], NumberStyles.HexNumber, CultureInfo.InvariantCulture),
                    long.Parse(range[1], NumberStyles.HexNumber, CultureInfo.InvariantCulture),
                    parts[1],
                    parts.Length > 5 ? parts[5].Trim() : string.Empty,
                    parts.Length > 4 && parts[4] == "0");
                mappings.Add(current);
            }
            else if (current is not null && line.StartsWith("Anonymous:", StringComparison.Ordinal))
            {
                current.AnonKiB = long.Parse(line["Anonymous:".Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
            }
        }

        return mappings;
    }

    private sealed record Mapping(long Start, long End, string Perms, string Name, bool NoInode)
    {
        public long AnonKiB { get; set; }

        /// <summary>An anonymous mapping without a name (no file, not <c>[heap]</c>/<c>[stack]</c>/<c>[vdso]</c>…).</summary>
        public bool Unnamed => NoInode && Name.Length == 0;
    }
}
