using System.Runtime.Versioning;

// The agent publishes files with Unix modes and handles POSIX signals: it is a Linux container process
// (macOS for development).
[assembly: SupportedOSPlatform("linux")]
[assembly: SupportedOSPlatform("macos")]
