namespace IpcBroker.MainProcess.Cli;

/// <summary>What every verb that talks to a running host takes: where its connection file is, and whether to print JSON.</summary>
/// <param name="ConnectionPath">The connection file (<c>--connection</c>, else <see cref="ConnectionFile.DefaultPath"/>).</param>
/// <param name="Json">Whether to print JSON (<c>--json</c>) rather than text for people.</param>
internal sealed record ClientOptions(string ConnectionPath, bool Json);
