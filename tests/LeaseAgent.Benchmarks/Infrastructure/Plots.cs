using ScottPlot;

namespace LeaseAgent.Benchmarks.Infrastructure;

/// <summary>
/// The harness's pictures (PNG, drawn by ScottPlot over SkiaSharp): memory over the soak (figure 10) and time left
/// per lease across renewals and rotations (figure 10d). With <c>--write</c> they go to <c>docs/images/</c>, where the
/// docs show them; otherwise (quick mode, CI) to <c>artifacts/bench/</c>, so a CI run never touches the docs.
/// </summary>
public static class Plots
{
    public const int Width = 1000;
    public const int Height = 500;

    /// <summary>
    /// The one font the plots use, by file. SkiaSharp's NoDependencies native assets have no fontconfig, so what a
    /// family name alone resolves to depends on the fonts a machine has where Skia looks (with none, text is left
    /// out without an error). A named file of Debian's <c>fonts-dejavu-core</c> (<c>.ci/run</c> installs it) makes
    /// every machine draw the same glyphs. Other distributions keep the same file elsewhere.
    /// </summary>
    private static readonly string[] FontFiles =
    [
        "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", // Debian, Ubuntu: fonts-dejavu-core
        "/usr/share/fonts/dejavu-sans-fonts/DejaVuSans.ttf", // Fedora
        "/usr/share/fonts/dejavu/DejaVuSans.ttf",
        "/usr/share/fonts/TTF/DejaVuSans.ttf", // Arch
    ];

    private const string FontName = "DejaVu Sans (bench)";

    private static readonly Lazy<string?> Font = new(RegisterFont);

    /// <summary>Where the PNGs go: <c>docs/images</c> when the run writes the docs, else <c>artifacts/bench</c>.</summary>
    public static string Directory(BenchOptions options)
    {
        var directory = options.WritePath is null
            ? Path.Combine(RepositoryRoot.Path, "artifacts", "bench")
            : Path.Combine(RepositoryRoot.Path, "docs", "images");
        System.IO.Directory.CreateDirectory(directory);
        return directory;
    }

    /// <summary>A path as the report shows it: relative to the repository.</summary>
    public static string Relative(string path) => Path.GetRelativePath(RepositoryRoot.Path, path);

    /// <summary>
    /// Plot A: the agent's memory (MiB) against the rotations done, one line per series, with the window over which
    /// figure 10 judges growth (the last two thirds) shaded. The samples are once a second, so a 1,000-rotation soak
    /// gives ~2,700 points per line: drawn as plain lines without markers, they stay legible.
    /// </summary>
    /// <param name="series">Name and values (MiB), each as long as <paramref name="rotations"/>.</param>
    public static string SoakMemory(string path, string title, double[] rotations, IReadOnlyList<(string Name, double[] MiB)> series, double windowFrom, double windowTo, string windowLabel)
    {
        var plot = NewPlot(title, "rotations done", "MiB");

        // The judged window first, so the lines are drawn over it.
        if (windowTo > windowFrom)
        {
            var span = plot.Add.HorizontalSpan(windowFrom, windowTo);
            span.FillStyle.Color = Colors.Green.WithAlpha(0.08);
            span.LineStyle.Width = 0;
            span.LegendText = windowLabel;
        }

        var palette = new ScottPlot.Palettes.Category10();
        for (var i = 0; i < series.Count; i++)
        {
            var line = plot.Add.ScatterLine(rotations, series[i].MiB);
            line.LegendText = series[i].Name;
            line.LineWidth = 1.5f;
            line.Color = palette.GetColor(i);
        }

        // From 0, so that a growth of one MiB looks as large as it is against the whole.
        var top = series.Where(s => s.MiB.Length > 0).Select(s => s.MiB.Max()).DefaultIfEmpty(1).Max();
        plot.Axes.SetLimitsY(0, top * 1.15);
        plot.Axes.SetLimitsX(0, Math.Max(1, rotations.DefaultIfEmpty(1).Max()));
        // Outside the data, on the right: inside it would hide a part of some line, whatever the corner.
        plot.ShowLegend(Edge.Right);
        return Save(plot, path);
    }

    /// <summary>
    /// Plot B: the seconds left of each published lease, one line per generation (a new line is a rotation, a
    /// saw-tooth within one is a renewal), and, dashed in the same colour, the seconds to that lease's hard end
    /// (max TTL), which the agent rotates a third of the lease's life before.
    /// </summary>
    public static string LeaseTimeLeft(string path, string title, IReadOnlyList<LeaseSample> samples)
    {
        var plot = NewPlot(title, "seconds since the first publish (solid: time left; dashed: time to the hard end)", "seconds left");
        var palette = new ScottPlot.Palettes.Category10();
        // A generation seen in one reading only (published just before the run ended) would be a legend entry
        // without a line.
        var generations = samples.GroupBy(s => s.Generation).Where(g => g.Count() > 1).Select(g => g.Key).Order().ToList();
        foreach (var (generation, index) in generations.Select((g, i) => (g, i)))
        {
            var of = samples.Where(s => s.Generation == generation).ToList();
            var color = palette.GetColor(index);
            var xs = of.Select(s => s.Seconds).ToArray();

            double[] ys = [.. of.Select(s => s.TimeLeft)];
            var left = plot.Add.ScatterLine(xs, ys);
            left.Color = color;
            left.LineWidth = 2;
            left.LegendText = $"generation {generation}";

            var hardEnd = of.Where(s => s.ToHardEnd is not null).ToList();
            if (hardEnd.Count > 0)
            {
                double[] endXs = [.. hardEnd.Select(s => s.Seconds)];
                double[] endYs = [.. hardEnd.Select(s => s.ToHardEnd!.Value)];
                var end = plot.Add.ScatterLine(endXs, endYs);
                end.Color = color.WithAlpha(0.8);
                end.LineWidth = 1.5f;
                end.LinePattern = LinePattern.Dashed;
            }
        }

        plot.Axes.SetLimitsY(0, samples.Select(s => Math.Max(s.TimeLeft, s.ToHardEnd ?? 0)).DefaultIfEmpty(1).Max() * 1.1);
        // Outside the data, on the right; beyond ten generations the palette repeats and the legend would be a long list.
        if (generations.Count <= 10)
        {
            plot.ShowLegend(Edge.Right);
        }
        return Save(plot, path);
    }

    private static Plot NewPlot(string title, string x, string y)
    {
        var font = Font.Value;
        var plot = new Plot();
        if (font is not null)
        {
            plot.Font.Set(font);
        }

        plot.Title(title, size: 16);
        plot.XLabel(x, size: 14);
        plot.YLabel(y, size: 14);
        return plot;
    }

    private static string Save(Plot plot, string path)
    {
        plot.SavePng(path, Width, Height);
        return path;
    }

    private static string? RegisterFont()
    {
        var file = FontFiles.FirstOrDefault(File.Exists);
        if (file is null)
        {
            Console.Error.WriteLine($"  plots: no DejaVu Sans ({FontFiles[0]}; Debian: apt-get install fonts-dejavu-core): their text may be missing");
            return null;
        }

        Fonts.AddFontFile(FontName, file);
        var bold = Path.Combine(Path.GetDirectoryName(file)!, "DejaVuSans-Bold.ttf");
        if (File.Exists(bold))
        {
            Fonts.AddFontFile(FontName, bold, bold: true);
        }

        Fonts.Default = FontName;
        return FontName;
    }
}

/// <summary>One reading of the agent's lease gauges (<c>/metrics</c>): the generation published and its seconds left.</summary>
public sealed record LeaseSample(double Seconds, int Generation, double TimeLeft, double? ToHardEnd);
