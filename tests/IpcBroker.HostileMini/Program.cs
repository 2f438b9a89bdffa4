using System.Globalization;
using IpcBroker.HostileMini;
using IpcBroker.Sessions;

// A mini program process that passes the handshake and then misbehaves on purpose, for the fault suite and the flood
// benchmark. Usage (the host starts it, through HostileMiniScript, with the launch line on standard input):
//   IpcBroker.HostileMini <attack> [count]
// Attacks: see Attacks.Names. It reports what it did on standard error, each line starting with "hostile:".
// It exits when its standard input ends (the host stopped it), like a well-behaved mini process.
if (args.Length < 1 || !Attacks.Names.Contains(args[0]))
{
    Console.Error.WriteLine($"usage: IpcBroker.HostileMini <{string.Join('|', Attacks.Names)}> [count]");
    return 2;
}

string attack = args[0];
int count = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 0;
MiniLaunchInfo launch = MiniLaunchInfo.Parse(Console.In.ReadLine());
Program.Say($"attack {attack} (count {count}) against {launch.AppId}, host pid {launch.HostProcessId}");

if (attack == "hello-version")
{
    // Before the lifeline, so that the host stopping this process cannot end it before it has said what it was told.
    // A mini process of another package version: its hello announces protocol version <count> (2 is the one before
    // socketFd), on the socket the launch line hands over. The host must refuse it, naming both versions.
    try
    {
        await HostileConnection.ConnectAsync(launch, bareSocket: true, protocolVersion: count);
        Program.Say($"hello-version {count}: accepted");
        await Task.Delay(Timeout.Infinite);
    }
    catch (HandshakeException ex)
    {
        // Then it stays until the host stops it (standard input ends), as a process that does not exit on a refusal
        // would: the host's start must fail on the refusal itself, not on this process's exit.
        Program.Say($"hello-version {count}: refused ({ex.Status}): {ex.Message}");
        while (Console.In.ReadLine() is not null)
        {
        }

        return 3;
    }
}

// The lifeline: the host closes standard input to stop the process.
_ = Task.Run(() =>
{
    while (Console.In.ReadLine() is not null)
    {
    }

    Program.Say("standard input closed: exiting");
    Environment.Exit(0);
});

HostileConnection connection = await HostileConnection.ConnectAsync(launch, bareSocket: attack == "stop-reading");
Program.Say("handshake accepted");
await Attacks.RunAsync(attack, count, connection, launch);
await Task.Delay(Timeout.Infinite);
return 0;

/// <summary>The entry point's helpers.</summary>
internal static partial class Program
{
    /// <summary>Writes one line to standard error, where the host logs it.</summary>
    public static void Say(string text)
    {
        lock (Console.Error)
        {
            Console.Error.WriteLine($"{FaultEvents.LogPrefix} {text}");
            Console.Error.Flush();
        }
    }
}
