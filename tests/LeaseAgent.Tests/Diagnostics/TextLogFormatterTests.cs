using LeaseAgent.Configuration;
using LeaseAgent.Diagnostics;
using LeaseAgent.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging.Console;
using Microsoft.Extensions.Options;
using ScaiVault.Hosting.Logging;

namespace LeaseAgent.Tests.Diagnostics;

/// <summary>
/// <c>LOG_FORMAT=text</c> writes server-chosen strings (user names, event paths, error messages) with their
/// control characters escaped, so an ESC sequence cannot repaint a terminal and a line feed cannot forge a line.
/// </summary>
public sealed class TextLogFormatterTests
{
    [Fact]
    public void TextFormat_UsesTheEscapingFormatter()
    {
        var services = new ServiceCollection();
        services.AddLogging(logging => AgentHost.ConfigureLogging(logging, new LoggingOptions { Json = false }));
        using var provider = services.BuildServiceProvider();

        var options = provider.GetRequiredService<IOptionsMonitor<ConsoleLoggerOptions>>().CurrentValue;
        var formatters = provider.GetServices<ConsoleFormatter>().Select(f => f.Name);

        Assert.Equal(TextLogFormatter.FormatterName, options.FormatterName);
        Assert.Contains(TextLogFormatter.FormatterName, formatters);
    }

    [Theory]
    [InlineData("user v_\u001b[2Jx renewed", "user v_\\u001B[2Jx renewed")]
    [InlineData("path a\nfail: forged line", "path a\\nfail: forged line")]
    [InlineData("bell\a and cr\r and nul\0", "bell\\u0007 and cr\\r and nul\\u0000")]
    public void ControlCharacters_AreEscaped_AndTheEventStaysOneLine(string message, string expected)
    {
        var output = Format(LogLevel.Warning, message, exception: null);

        Assert.EndsWith($" warn: Test.Category[42] {expected}\n", output, StringComparison.Ordinal);
        Assert.Single(output.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.DoesNotContain(output[..^1], c => char.IsControl(c));
    }

    [Fact]
    public void Exception_IsOnTheSameLine()
    {
        var output = Format(LogLevel.Error, "failed", new InvalidOperationException("bad\nanswer"));

        Assert.Contains(" fail: Test.Category[42] failed System.InvalidOperationException: bad\\nanswer", output, StringComparison.Ordinal);
        Assert.Single(output.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    private static string Format(LogLevel level, string message, Exception? exception)
    {
        using var writer = new StringWriter();
        var entry = new LogEntry<string>(level, "Test.Category", new EventId(42), message, exception, (state, _) => state);
        new TextLogFormatter().Write(entry, scopeProvider: null, writer);
        return writer.ToString();
    }
}
