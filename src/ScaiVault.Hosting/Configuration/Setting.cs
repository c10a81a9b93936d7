namespace ScaiVault.Hosting.Configuration;

/// <summary>
/// One configuration key, declared once: its name (the environment variable; the flag is derived), its default, its
/// parser with the constraints, a one-line help text and whether its value is a secret. Readers, flag tables and the
/// documentation are derived from these declarations, so none of them can drift from the code.
/// </summary>
public abstract class Setting
{
    private protected Setting(string name, string help, string? defaultText, string shownDefault, bool isSecret)
    {
        if (help.Contains('\n', StringComparison.Ordinal))
        {
            throw new ArgumentException($"the help of {name} must be one line", nameof(help));
        }

        Name = name;
        Help = help;
        DefaultText = defaultText;
        ShownDefault = defaultText is null ? shownDefault : $"`{defaultText}`";
        IsSecret = isSecret;
    }

    /// <summary>The key: the environment variable, and the key of a configuration file.</summary>
    public string Name { get; }

    /// <summary>The command-line flag: <c>LEASE_TTL</c> is <c>--lease-ttl</c>.</summary>
    public string Flag => FlagOf(Name);

    /// <summary>What the key means, in one line (Markdown).</summary>
    public string Help { get; }

    /// <summary>The literal default as an operator would write it (<c>10s</c>), or null when the key has none.</summary>
    public string? DefaultText { get; }

    /// <summary>The default as documented: the literal value in backticks, or words such as <c>required</c>.</summary>
    public string ShownDefault { get; }

    /// <summary>A secret is never quoted in an error and never accepted as a flag.</summary>
    public bool IsSecret { get; }

    /// <summary>The one rule that turns a key into its flag.</summary>
    public static string FlagOf(string key) => "--" + key.ToLowerInvariant().Replace('_', '-');

    /// <summary>Whether <paramref name="text"/> parses to this key's default (a chart's or a file's copy of it).</summary>
    public abstract bool MeansDefault(string text);

    /// <summary>Parses and validates <paramref name="text"/> as this key's value; throws <see cref="ConfigurationException"/>.</summary>
    public abstract void Validate(string text);

    /// <summary>A key with a literal default, written as an operator would write it and parsed by the key's own parser.</summary>
    public static Setting<T> WithDefault<T>(string name, string defaultText, Func<SettingValue, T> parse, string help) =>
        new(name, help, defaultText, defaultText, parse, fallback: parse(new SettingValue(name, defaultText)), requiredFix: null, isSecret: false);

    /// <summary>
    /// A key that may be left unset; <paramref name="absent"/> says what that means. <typeparamref name="T"/> is a
    /// nullable type (<c>string?</c>, <c>TimeSpan?</c>): unset is null.
    /// </summary>
    public static Setting<T> Optional<T>(string name, string absent, Func<SettingValue, T> parse, string help, bool isSecret = false) =>
        new(name, help, defaultText: null, absent, parse, fallback: default!, requiredFix: null, isSecret);

    /// <summary>A key that must be set wherever it is read; <paramref name="fix"/> tells the operator what to set.</summary>
    public static Setting<T> Required<T>(string name, string fix, Func<SettingValue, T> parse, string help, string shownDefault = "required") =>
        new(name, help, defaultText: null, shownDefault, parse, fallback: default!, requiredFix: fix, isSecret: false);
}

/// <summary>A <see cref="Setting"/> whose value is a <typeparamref name="T"/>.</summary>
public sealed class Setting<T> : Setting
{
    private readonly Func<SettingValue, T> parse;
    private readonly string? requiredFix;

    internal Setting(string name, string help, string? defaultText, string shownDefault, Func<SettingValue, T> parse, T fallback, string? requiredFix, bool isSecret)
        : base(name, help, defaultText, shownDefault, isSecret)
    {
        this.parse = parse;
        this.requiredFix = requiredFix;
        Default = fallback;
    }

    /// <summary>The value when the key is not set (<c>default</c> for an optional or required key).</summary>
    public T Default { get; }

    /// <summary>Whether reading the key unset is an error.</summary>
    public bool IsRequired => requiredFix is not null;

    /// <summary>The value of <paramref name="text"/>, or a <see cref="ConfigurationException"/> naming this key.</summary>
    public T Parse(string text) => parse(new SettingValue(Name, text.Trim(), IsSecret));

    /// <summary>The key's value from <paramref name="reader"/>: parsed, the default, or for a required key an error.</summary>
    public T Read(SettingReader reader) => reader.Value(Name, IsSecret) is { } value ? parse(value)
        : requiredFix is null ? Default
        : throw new ConfigurationException(Name, $"is required: {requiredFix}");

    public override bool MeansDefault(string text)
    {
        var value = Parse(text);
        return value is IEnumerable<string> list && Default is IEnumerable<string> defaultList
            ? list.SequenceEqual(defaultList, StringComparer.Ordinal)
            : EqualityComparer<T>.Default.Equals(value, Default);
    }

    public override void Validate(string text) => Parse(text);
}
