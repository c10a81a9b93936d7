using System.Runtime.Versioning;

// The provider under test serves a Unix socket on Linux nodes.
[assembly: SupportedOSPlatform("linux")]
