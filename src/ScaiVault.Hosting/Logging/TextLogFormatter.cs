using System.Globalization;
using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging.Console;

namespace ScaiVault.Hosting.Logging;

/// <summary>
/// <c>LOG_FORMAT=text</c>: one line per event, <c>HH:mm:ss.fff level: category[id] message</c>, like the
/// framework's single-line console format, except that every control character is written as an escape.
/// Messages carry strings a server chose (user names, event paths, error messages); in a terminal or a
/// plain-text log viewer an ESC sequence or a carriage return could rewrite what the reader sees, and a
/// line feed could forge a log line. The JSON format escapes them by itself.
/// </summary>
public sealed class TextLogFormatter() : ConsoleFormatter(FormatterName)
{
    public const string FormatterName = "lease-agent-text";

    public override void Write<TState>(in LogEntry<TState> logEntry, IExternalScopeProvider? scopeProvider, TextWriter textWriter)
    {
        var message = logEntry.Formatter?.Invoke(logEntry.State, logEntry.Exception);
        if (message is null && logEntry.Exception is null)
        {
            return;
        }

        var line = new StringBuilder(128)
            .Append(DateTimeOffset.UtcNow.ToString("HH:mm:ss.fff ", CultureInfo.InvariantCulture))
            .Append(Level(logEntry.LogLevel)).Append(": ")
            .Append(logEntry.Category).Append('[').Append(logEntry.EventId.Id.ToString(CultureInfo.InvariantCulture)).Append("] ");
        AppendEscaped(line, message ?? string.Empty);
        if (logEntry.Exception is not null)
        {
            line.Append(' ');
            AppendEscaped(line, logEntry.Exception.ToString());
        }

        textWriter.Write(line.Append('\n').ToString());
    }

    /// <summary>Appends <paramref name="text"/> with every control character as <c>\n</c>, <c>\r</c>, <c>\t</c> or <c>\uXXXX</c>.</summary>
    public static void AppendEscaped(StringBuilder line, string text)
    {
        foreach (var c in text)
        {
            _ = c switch
            {
                '\n' => line.Append("\\n"),
                '\r' => line.Append("\\r"),
                '\t' => line.Append("\\t"),
                _ when char.IsControl(c) => line.Append("\\u").Append(((int)c).ToString("X4", CultureInfo.InvariantCulture)),
                _ => line.Append(c),
            };
        }
    }

    private static string Level(LogLevel level) => level switch
    {
        LogLevel.Trace => "trce",
        LogLevel.Debug => "dbug",
        LogLevel.Information => "info",
        LogLevel.Warning => "warn",
        LogLevel.Error => "fail",
        LogLevel.Critical => "crit",
        _ => "none",
    };
}
