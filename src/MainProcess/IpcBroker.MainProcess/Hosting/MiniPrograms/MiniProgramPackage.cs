using System.IO.Enumeration;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using IpcBroker.MiniPrograms;
using Microsoft.Win32.SafeHandles;

namespace IpcBroker.MainProcess.Hosting.MiniPrograms;

/// <summary>
/// A mini program package as read from its directory: its files' texts, its appId and its entry script; what the host sends
/// in <see cref="MiniProgramEvents.Launch"/>.
/// </summary>
/// <remarks>
/// <para>The rules, each broken one a <see cref="MiniProgramPackageException"/> naming the file: <c>app.json</c> is a JSON
/// object with a string <c>appId</c> (a valid appId) and an optional string <c>entry</c> (default <c>app.js</c>) that names
/// a file of the package; every entry is a regular file or a directory (a symbolic link anywhere, also to a directory, is
/// refused: it could hand the mini process a file of the host; so is a device, a FIFO or a socket); at most
/// <see cref="MaxEntries"/> files and directories, <see cref="MaxTotalBytes"/> bytes in all, <see cref="MaxDepth"/>
/// directories deep; every file valid UTF-8 (a leading byte order mark is dropped). Names that begin with a dot (<c>.git</c>,
/// <c>.DS_Store</c>) are skipped unread, with what they hold; at most <see cref="MaxEntries"/> of them in one directory.</para>
/// <para>What is checked is what is read: each directory and file is opened relative to its parent's open descriptor
/// (<c>openat</c>, <c>O_NOFOLLOW</c>), so a directory swapped for a link while the package is read is refused, not
/// followed; a directory's names are charged to the budget as they are listed (the listing stops at the budget); a file's kind and size are read from its open descriptor and charged to the package's budget before its
/// bytes are, and the read stops at the budget whatever size the file claimed. Linux only, as the host is.</para>
/// </remarks>
internal sealed class MiniProgramPackage
{
    /// <summary>The most files and directories a package may hold (hidden ones not counted): 1000.</summary>
    public const int MaxEntries = 1000;

    /// <summary>The most bytes a package's files may hold in all: 8 MiB.</summary>
    public const long MaxTotalBytes = 8L * 1024 * 1024;

    /// <summary>The deepest a file may lie below the package's directory: 16 directories.</summary>
    public const int MaxDepth = 16;

    private const int ReadOnlyNoFollow = 0x0 | 0x20000 | 0x800 | 0x100 | 0x80000; // O_RDONLY|O_NOFOLLOW|O_NONBLOCK|O_NOCTTY|O_CLOEXEC
    private const int DirectoryFlag = 0x10000; // O_DIRECTORY
    private const int AtCurrentDirectory = -100; // AT_FDCWD
    private const int AtEmptyPath = 0x1000;
    private const int AtSymlinkNoFollow = 0x100;
    private const uint StatxType = 0x1;
    private const uint StatxSize = 0x200;
    private const int TooManyLinks = 40; // ELOOP: the last part is a symbolic link
    private const int NoSuchFile = 2; // ENOENT

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private MiniProgramPackage(string directory, string appId, string entry, IReadOnlyList<KeyValuePair<string, string>> files, long totalBytes)
    {
        this.Directory = directory;
        this.AppId = appId;
        this.Entry = entry;
        this.Files = files;
        this.TotalBytes = totalBytes;
    }

    /// <summary>Gets the package's directory, as given.</summary>
    public string Directory { get; }

    /// <summary>Gets the appId named in <c>app.json</c>.</summary>
    public string AppId { get; }

    /// <summary>Gets the entry script's path in the package.</summary>
    public string Entry { get; }

    /// <summary>Gets the files, path (relative, <c>/</c>-separated) and text, in ordinal order of their paths.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Files { get; }

    /// <summary>Gets the bytes the files held on disk.</summary>
    public long TotalBytes { get; }

    /// <summary>Reads the package in <paramref name="directory"/>.</summary>
    /// <param name="directory">The package's directory; itself may be reached through links (it is the host's own choice), nothing in it may.</param>
    /// <returns>The package.</returns>
    /// <exception cref="MiniProgramPackageException">When the package breaks a rule (see the remarks), or cannot be read.</exception>
    public static MiniProgramPackage Read(string directory)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        int rootFd = Open(AtCurrentDirectory, directory, (ReadOnlyNoFollow & ~0x20000) | DirectoryFlag);
        if (rootFd < 0)
        {
            throw new MiniProgramPackageException($"The mini program package '{directory}' cannot be opened as a directory: {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}.");
        }

        var reader = new Reader(directory);
        using (var root = new SafeFileHandle((IntPtr)rootFd, ownsHandle: true))
        {
            reader.ReadDirectory(root, prefix: string.Empty, depth: 0);
        }

        reader.Files.Sort((a, b) => string.CompareOrdinal(a.Key, b.Key));
        Dictionary<string, string> byPath = reader.Files.ToDictionary(f => f.Key, f => f.Value, StringComparer.Ordinal);
        if (!byPath.TryGetValue(MiniProgramEvents.ManifestFile, out string? manifest))
        {
            throw Broken(directory, MiniProgramEvents.ManifestFile, "is missing: a package has an app.json at its top");
        }

        (string appId, string entry) = ReadManifest(directory, manifest);
        if (!byPath.ContainsKey(entry))
        {
            throw Broken(directory, MiniProgramEvents.ManifestFile, $"names the entry script '{entry}', which is not a file of the package");
        }

        return new MiniProgramPackage(directory, appId, entry, reader.Files, reader.TotalBytes);
    }

    /// <summary>The <see cref="MiniProgramEvents.Launch"/> request: the files and the entry.</summary>
    /// <returns>A new bundle.</returns>
    public Bundle ToLaunchRequest() => new Bundle()
        .PutBundleList(MiniProgramEvents.FilesKey, this.Files.Select(f => new Bundle().PutString(MiniProgramEvents.PathKey, f.Key).PutString(MiniProgramEvents.TextKey, f.Value)))
        .PutString(MiniProgramEvents.EntryKey, this.Entry);

    private static (string AppId, string Entry) ReadManifest(string directory, string text)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(text, new JsonDocumentOptions { MaxDepth = 32 });
        }
        catch (JsonException ex)
        {
            throw Broken(directory, MiniProgramEvents.ManifestFile, $"is not valid JSON ({ex.Message})");
        }

        using (document)
        {
            JsonElement root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw Broken(directory, MiniProgramEvents.ManifestFile, "is not a JSON object");
            }

            if (!root.TryGetProperty("appId", out JsonElement appIdElement) || appIdElement.ValueKind != JsonValueKind.String)
            {
                throw Broken(directory, MiniProgramEvents.ManifestFile, "has no string \"appId\"");
            }

            string appId = appIdElement.GetString()!;
            if (!MiniAppKey.IsValidAppId(appId))
            {
                throw Broken(directory, MiniProgramEvents.ManifestFile, $"has the appId '{Shorten(appId)}', which is not valid: use 1 to {MiniAppKey.MaxAppIdLength} ASCII letters, digits, '-', '_' or '.'");
            }

            string entry = MiniProgramEvents.DefaultEntry;
            if (root.TryGetProperty("entry", out JsonElement entryElement))
            {
                if (entryElement.ValueKind != JsonValueKind.String)
                {
                    throw Broken(directory, MiniProgramEvents.ManifestFile, "has an \"entry\" that is not a string");
                }

                entry = entryElement.GetString()!;
            }

            return (appId, entry);
        }
    }

    private static string Shorten(string text) => text.Length <= 64 ? text : text[..64] + "…";

    // The message names what the package holds (its names, its app.json's values): control characters (terminal escapes)
    // and the bidirectional overrides are made visible as '?', since it goes to logs and terminals.
    private static MiniProgramPackageException Broken(string directory, string path, string rule) =>
        new(MiniProgramLifecycle.Clean($"Mini program package '{directory}': '{path}' {rule}."));

    /// <summary>The kind of the file at <paramref name="path"/> relative to <paramref name="directoryFd"/> (not following a link) and its size, or null.</summary>
    private static (Kind Kind, long Size)? StatOf(int directoryFd, string path, int flags)
    {
        // struct statx: stx_mask u32 @0, ..., stx_mode u16 @28, ..., stx_size u64 @40.
        byte[] buffer = new byte[256];
        if (Statx(directoryFd, path, flags, StatxType | StatxSize, buffer) != 0 || (MemoryMarshal.Read<uint>(buffer) & StatxType) == 0)
        {
            return null;
        }

        return ((Kind)(MemoryMarshal.Read<ushort>(buffer.AsSpan(28)) & 0xF000), (long)MemoryMarshal.Read<ulong>(buffer.AsSpan(40)));
    }

    private static string Describe(Kind kind) => kind switch
    {
        Kind.Link => "a symbolic link (a package holds only regular files and directories)",
        Kind.Fifo => "a FIFO, not a regular file",
        Kind.CharacterDevice => "a character device, not a regular file",
        Kind.BlockDevice => "a block device, not a regular file",
        Kind.Socket => "a socket, not a regular file",
        _ => "not a regular file",
    };

    [DllImport("libc", EntryPoint = "openat", SetLastError = true)]
    private static extern int Open(int directoryFd, [MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags);

    [DllImport("libc", EntryPoint = "statx", SetLastError = true)]
    private static extern int Statx(int directoryFd, [MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags, uint mask, byte[] buffer);

    /// <summary>The S_IFMT kinds of file.</summary>
    private enum Kind
    {
        Fifo = 0x1000,
        CharacterDevice = 0x2000,
        Directory = 0x4000,
        BlockDevice = 0x6000,
        Regular = 0x8000,
        Link = 0xA000,
        Socket = 0xC000,
    }

    /// <summary>One read of a package: the budget spent so far and the files read.</summary>
    private sealed class Reader(string directory)
    {
        private int entries;

        public List<KeyValuePair<string, string>> Files { get; } = [];

        public long TotalBytes { get; private set; }

        public void ReadDirectory(SafeFileHandle directoryHandle, string prefix, int depth)
        {
            int fd = (int)directoryHandle.DangerousGetHandle();
            List<string> names = [];
            int hidden = 0;
            try
            {
                // The open descriptor's own entries: /proc/self/fd/N is the directory that was opened, whatever its path is now.
                // Charged as they are listed, not after: a directory of a million entries costs the budget's worth, then is refused.
                var listing = new FileSystemEnumerable<string>(
                    $"/proc/self/fd/{fd}",
                    static (ref FileSystemEntry entry) => entry.FileName.ToString(),
                    new EnumerationOptions { AttributesToSkip = 0, IgnoreInaccessible = false, RecurseSubdirectories = false, ReturnSpecialDirectories = false });
                foreach (string name in listing)
                {
                    if (name.StartsWith('.'))
                    {
                        // Hidden: .git, editor backups; skipped with what they hold, unread, but their names are listed too.
                        if (++hidden > MaxEntries)
                        {
                            throw Broken(directory, prefix.Length == 0 ? "." : prefix.TrimEnd('/'), $"holds more than {MaxEntries} hidden entries");
                        }

                        continue;
                    }

                    if (this.entries + names.Count >= MaxEntries)
                    {
                        throw Broken(directory, Shorten(prefix + name), $"is one entry too many: a package holds at most {MaxEntries} files and directories");
                    }

                    names.Add(name);
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                throw Broken(directory, prefix.Length == 0 ? "." : prefix.TrimEnd('/'), $"cannot be listed ({ex.Message})");
            }

            names.Sort(StringComparer.Ordinal);
            foreach (string name in names)
            {
                string path = prefix + name;
                if (name.Contains('\\') || name.Any(char.IsControl))
                {
                    throw Broken(directory, Shorten(path), "has a backslash or a control character in its name");
                }

                if (++this.entries > MaxEntries)
                {
                    throw Broken(directory, path, $"is one entry too many: a package holds at most {MaxEntries} files and directories");
                }

                // Checked before opening: opening a device can have effects of its own.
                (Kind Kind, long Size)? before = StatOf(fd, name, AtSymlinkNoFollow);
                if (before is null)
                {
                    throw Broken(directory, path, $"cannot be examined ({Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())})");
                }

                if (before.Value.Kind is not (Kind.Regular or Kind.Directory))
                {
                    throw Broken(directory, path, "is " + Describe(before.Value.Kind));
                }

                bool isDirectory = before.Value.Kind == Kind.Directory;
                if (isDirectory && depth + 1 > MaxDepth)
                {
                    throw Broken(directory, path, $"lies too deep: a package is at most {MaxDepth} directories deep");
                }

                int childFd = Open(fd, name, ReadOnlyNoFollow | (isDirectory ? DirectoryFlag : 0));
                if (childFd < 0)
                {
                    int error = Marshal.GetLastPInvokeError();
                    throw Broken(directory, path, error == TooManyLinks ? "is " + Describe(Kind.Link) : error == NoSuchFile ? "vanished while the package was read" : $"cannot be opened ({Marshal.GetPInvokeErrorMessage(error)})");
                }

                using var child = new SafeFileHandle((IntPtr)childFd, ownsHandle: true);

                // What was opened is what is checked: the entry may have been swapped since it was examined.
                (Kind Kind, long Size)? opened = StatOf(childFd, string.Empty, AtEmptyPath);
                if (opened?.Kind != before.Value.Kind)
                {
                    throw Broken(directory, path, "changed while the package was read");
                }

                if (isDirectory)
                {
                    this.ReadDirectory(child, path + "/", depth + 1);
                }
                else
                {
                    this.ReadFile(child, path, opened.Value.Size);
                }
            }
        }

        private void ReadFile(SafeFileHandle file, string path, long claimedSize)
        {
            long room = MaxTotalBytes - this.TotalBytes;
            if (claimedSize > room)
            {
                // Charged before it is spent: nothing of the file is read.
                throw Broken(directory, path, $"makes the package larger than {MaxTotalBytes / (1024 * 1024)} MiB");
            }

            // One byte past the room: a file that grew since it was examined is caught without reading more of it.
            byte[] buffer = new byte[checked((int)Math.Min(room + 1, claimedSize + 1))];
            int length = 0;
            int read;
            while (length < buffer.Length && (read = RandomAccess.Read(file, buffer.AsSpan(length), length)) > 0)
            {
                length += read;
            }

            if (length > claimedSize)
            {
                throw Broken(directory, path, "grew while the package was read");
            }

            this.TotalBytes += length;
            ReadOnlySpan<byte> bytes = buffer.AsSpan(0, length);
            if (bytes.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF]))
            {
                bytes = bytes[3..];
            }

            string text;
            try
            {
                text = StrictUtf8.GetString(bytes);
            }
            catch (DecoderFallbackException)
            {
                throw Broken(directory, path, "is not valid UTF-8 text");
            }

            this.Files.Add(new(path, text));
        }
    }
}
