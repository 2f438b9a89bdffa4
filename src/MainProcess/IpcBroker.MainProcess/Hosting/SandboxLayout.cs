using System.Security.Cryptography;
using System.Text;

namespace IpcBroker.MainProcess.Hosting;

/// <summary>
/// Where a mini program's files live: one directory per (user, appId, build), so that the next user to sign in never
/// sees the previous user's files. The user id is hashed: it never appears in a path, and any id is a safe name.
/// </summary>
internal static class SandboxLayout
{
    /// <summary>The key of the files of mini programs opened while nobody is signed in.</summary>
    public const string GuestKey = "guest";

    public static string UserKey(string? userId) =>
        userId is null ? GuestKey : "u-" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(userId)), 0, 16);

    /// <summary>Creates (mode 0700) and returns the directory of <paramref name="key"/> for <paramref name="userId"/>, or null without a root.</summary>
    public static string? Prepare(string? root, string? userId, MiniAppKey key)
    {
        if (root is null)
        {
            return null;
        }

        string user = Path.Combine(Path.GetFullPath(root), UserKey(userId));
        string app = Path.Combine(user, $"{key.AppId}-{key.VerType.ToString().ToLowerInvariant()}");
        const UnixFileMode Private = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(app);
        }
        else
        {
            // The root first: CreateDirectory gives the mode to the last directory only, and those it creates on the way
            // get the umask's. A root that exists already is left as it is (the directories below are private anyway).
            Directory.CreateDirectory(Path.GetFullPath(root), Private);
            Directory.CreateDirectory(user, Private);
            Directory.CreateDirectory(app, Private);
        }

        return app;
    }
}
