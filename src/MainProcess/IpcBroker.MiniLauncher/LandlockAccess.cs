namespace IpcBroker.MiniLauncher;

/// <summary>The Landlock access rights (uapi <c>linux/landlock.h</c>), and which of them each ABI version handles.</summary>
internal static class LandlockAccess
{
    /// <summary><c>LANDLOCK_ACCESS_FS_EXECUTE</c> (ABI 1).</summary>
    public const ulong Execute = 1UL << 0;

    /// <summary><c>LANDLOCK_ACCESS_FS_WRITE_FILE</c> (ABI 1).</summary>
    public const ulong WriteFile = 1UL << 1;

    /// <summary><c>LANDLOCK_ACCESS_FS_READ_FILE</c> (ABI 1).</summary>
    public const ulong ReadFile = 1UL << 2;

    /// <summary><c>LANDLOCK_ACCESS_FS_READ_DIR</c> (ABI 1).</summary>
    public const ulong ReadDirectory = 1UL << 3;

    /// <summary><c>LANDLOCK_ACCESS_FS_TRUNCATE</c> (ABI 3).</summary>
    public const ulong Truncate = 1UL << 14;

    /// <summary><c>LANDLOCK_ACCESS_FS_IOCTL_DEV</c> (ABI 5).</summary>
    public const ulong IoctlDevice = 1UL << 15;

    /// <summary><c>LANDLOCK_ACCESS_NET_BIND_TCP</c> | <c>LANDLOCK_ACCESS_NET_CONNECT_TCP</c> (ABI 4).</summary>
    public const ulong NetworkTcp = (1UL << 0) | (1UL << 1);

    /// <summary><c>LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET</c> | <c>LANDLOCK_SCOPE_SIGNAL</c> (ABI 6).</summary>
    public const ulong ScopeAbstractUnixSocketAndSignal = (1UL << 0) | (1UL << 1);

    /// <summary>Read and execute: what a read-only grant gives.</summary>
    public const ulong ReadOnly = Execute | ReadFile | ReadDirectory;

    /// <summary>
    /// The rights that apply to a regular file or device (the rest concern directories); a rule on a non-directory
    /// with any other right is refused by the kernel.
    /// </summary>
    public const ulong FileRights = Execute | WriteFile | ReadFile | Truncate | IoctlDevice;

    // ABI 1: bits 0–12 (execute ... make_sym); ABI 2 adds REFER (13), ABI 3 TRUNCATE (14), ABI 5 IOCTL_DEV (15).
    // ABI 4, 6 and 7 add no file-system right.
    private const ulong FileSystemAbi1 = (1UL << 13) - 1;

    /// <summary>The file-system rights an ABI version knows, all of which a ruleset of that version handles.</summary>
    /// <param name="abi">The Landlock ABI version (>= 1).</param>
    /// <returns>The rights.</returns>
    public static ulong FileSystemRights(int abi) => abi switch
    {
        1 => FileSystemAbi1,
        2 => FileSystemAbi1 | (1UL << 13),
        3 or 4 => FileSystemAbi1 | (1UL << 13) | Truncate,
        _ => FileSystemAbi1 | (1UL << 13) | Truncate | IoctlDevice,
    };
}
