using System.Globalization;

namespace IpcBroker.MiniLauncher;

/// <summary>One <c>--rlimit NAME=VALUE</c>: a resource and the value its soft and hard limits both get.</summary>
/// <param name="Name">The name on the command line (nofile, nproc, core, fsize, cpu, as, data).</param>
/// <param name="Resource">The <c>RLIMIT_*</c> number (the generic numbering, the same on x86_64 and aarch64).</param>
/// <param name="Value">The limit; <see cref="ulong.MaxValue"/> is <c>RLIM_INFINITY</c>.</param>
internal sealed record ResourceLimit(string Name, int Resource, ulong Value)
{
    private static readonly Dictionary<string, int> Resources = new(StringComparer.Ordinal)
    {
        ["cpu"] = 0,
        ["fsize"] = 1,
        ["data"] = 2,
        ["core"] = 4,
        ["nproc"] = 6,
        ["nofile"] = 7,
        ["as"] = 9,
    };

    /// <summary>Gets the accepted names, for messages.</summary>
    public static string Names => string.Join(", ", Resources.Keys);

    /// <summary>Parses <c>NAME=VALUE</c>.</summary>
    /// <param name="text">The option's value.</param>
    /// <returns>The limit, or null when the text is not a known name and a number (or "unlimited").</returns>
    public static ResourceLimit? Parse(string text)
    {
        int equals = text.IndexOf('=', StringComparison.Ordinal);
        if (equals <= 0 || !Resources.TryGetValue(text[..equals], out int resource))
        {
            return null;
        }

        string value = text[(equals + 1)..];
        if (value is "unlimited" or "infinity")
        {
            return new ResourceLimit(text[..equals], resource, ulong.MaxValue);
        }

        return ulong.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out ulong number)
            ? new ResourceLimit(text[..equals], resource, number)
            : null;
    }

    /// <summary>Sets this limit on the launcher's process (inherited across execve).</summary>
    /// <exception cref="LaunchStepException">With <see cref="LauncherExitCode.ResourceLimit"/>: setrlimit failed.</exception>
    public unsafe void Apply()
    {
        ulong* limit = stackalloc ulong[2];
        limit[0] = this.Value;
        limit[1] = this.Value;
        if (Libc.SetResourceLimit(this.Resource, limit) != 0)
        {
            throw new LaunchStepException(LauncherExitCode.ResourceLimit, $"setrlimit {this.Name}={this.Value}: {Libc.LastError()}");
        }
    }
}
