using System.Globalization;
using System.Runtime.InteropServices;

namespace IpcBroker.MiniLauncher;

/// <summary>
/// Step 4: sets no_new_privs and drops every capability, so that a root host's mini program runs as uid 0 with none
/// (no file-permission bypass, no setuid gain) and so that Landlock and seccomp may be applied without privilege.
/// </summary>
/// <remarks>
/// Order matters: the bounding set and the securebits need CAP_SETPCAP, so they go before capset empties the sets. A
/// host without CAP_SETPCAP (not root) has nothing to drop there; no_new_privs then keeps it from gaining any.
/// </remarks>
internal static unsafe class PrivilegeDrop
{
    private const int SetNoNewPrivileges = 38;
    private const int CapabilityBoundingSetDrop = 24;
    private const int CapabilityAmbient = 47;
    private const int CapabilityAmbientClearAll = 4;
    private const int SetSecureBits = 28;
    private const int CapabilitySetProcessCapabilities = 8;
    private const uint CapabilityVersion3 = 0x20080522;

    // SECBIT_NOROOT | SECBIT_NOROOT_LOCKED | SECBIT_NO_SETUID_FIXUP | SECBIT_NO_SETUID_FIXUP_LOCKED: uid 0 gains no
    // capability from execve, and no later setuid can give them back.
    private const nuint LockedSecureBits = 0x0F;

    /// <summary>Applies no_new_privs and empties the bounding, ambient, effective, permitted and inheritable sets.</summary>
    /// <exception cref="LaunchStepException">With <see cref="LauncherExitCode.Privileges"/>.</exception>
    public static void Apply()
    {
        if (Libc.Prctl(SetNoNewPrivileges, 1, 0, 0, 0) != 0)
        {
            throw Failed($"prctl(PR_SET_NO_NEW_PRIVS): {Libc.LastError()}");
        }

        bool maySetCapabilities = (EffectiveCapabilities() & (1UL << CapabilitySetProcessCapabilities)) != 0;
        if (maySetCapabilities)
        {
            int last = LastCapability();
            for (int capability = 0; capability <= last; capability++)
            {
                if (Libc.Prctl(CapabilityBoundingSetDrop, (nuint)capability, 0, 0, 0) != 0)
                {
                    throw Failed($"prctl(PR_CAPBSET_DROP, {capability}): {Libc.LastError()}");
                }
            }

            if (Libc.Prctl(SetSecureBits, LockedSecureBits, 0, 0, 0) != 0)
            {
                throw Failed($"prctl(PR_SET_SECUREBITS): {Libc.LastError()}");
            }
        }

        // Ambient capabilities (Linux 4.3) would survive execve for a non-root program; EINVAL means the kernel has none.
        if (Libc.Prctl(CapabilityAmbient, CapabilityAmbientClearAll, 0, 0, 0) != 0 && Marshal.GetLastPInvokeError() != 22)
        {
            throw Failed($"prctl(PR_CAP_AMBIENT_CLEAR_ALL): {Libc.LastError()}");
        }

        uint* header = stackalloc uint[2] { CapabilityVersion3, 0 };
        uint* data = stackalloc uint[6];
        new Span<uint>(data, 6).Clear();
        if (Libc.CapabilitySet(header, data) != 0)
        {
            throw Failed($"capset(0): {Libc.LastError()}");
        }

        if (EffectiveCapabilities() != 0)
        {
            throw Failed("capabilities remain after capset(0)");
        }
    }

    private static ulong EffectiveCapabilities()
    {
        uint* header = stackalloc uint[2] { CapabilityVersion3, 0 };

        // Two struct __user_cap_data_struct { effective, permitted, inheritable }: the low and the high 32 capabilities.
        uint* data = stackalloc uint[6];
        if (Libc.CapabilityGet(header, data) != 0)
        {
            throw Failed($"capget: {Libc.LastError()}");
        }

        return data[0] | ((ulong)data[3] << 32);
    }

    private static int LastCapability()
    {
        try
        {
            return int.Parse(File.ReadAllText("/proc/sys/kernel/cap_last_cap").Trim(), CultureInfo.InvariantCulture);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
        {
            throw Failed($"cannot read /proc/sys/kernel/cap_last_cap: {e.Message}");
        }
    }

    private static LaunchStepException Failed(string message) => new(LauncherExitCode.Privileges, message);
}
