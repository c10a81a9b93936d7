using System.Runtime.Versioning;

// A Unix-socket server for Linux nodes (the driver's providers run on Linux; Windows nodes are out of scope).
[assembly: SupportedOSPlatform("linux")]
