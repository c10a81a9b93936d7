using System.Runtime.Versioning;

// The agent under test, its signals and its file modes are Linux (and, for development, macOS) things.
[assembly: SupportedOSPlatform("linux")]
[assembly: SupportedOSPlatform("macos")]
