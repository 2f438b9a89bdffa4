using System.Runtime.InteropServices;

namespace IpcBroker.MiniLauncher;

/// <summary>
/// NUL-terminated UTF-8 copies of strings in native memory, and arrays of them, for the libc calls. Never freed: the
/// launcher either execs (the kernel discards the image) or exits.
/// </summary>
internal static unsafe class NativeStrings
{
    /// <summary>Copies a string to native memory.</summary>
    /// <param name="text">The string.</param>
    /// <returns>A NUL-terminated UTF-8 copy.</returns>
    public static byte* Copy(string text) => (byte*)Marshal.StringToCoTaskMemUTF8(text);

    /// <summary>Copies strings to a NULL-terminated array of NUL-terminated UTF-8 strings (an argv).</summary>
    /// <param name="texts">The strings.</param>
    /// <returns>The array.</returns>
    public static byte** CopyArray(IReadOnlyList<string> texts)
    {
        byte** array = (byte**)Marshal.AllocCoTaskMem((texts.Count + 1) * sizeof(byte*));
        for (int i = 0; i < texts.Count; i++)
        {
            array[i] = Copy(texts[i]);
        }

        array[texts.Count] = null;
        return array;
    }
}
