using System.Text;

namespace IpcBroker.MainProcess.Hosting;

/// <summary>
/// Reads a child's standard output or error as lines of bounded length, from the raw stream: a line longer than the cap is
/// handed on cut at the cap (with a marker) as soon as the cap is reached, and the rest of it up to its newline is read and
/// dropped.
/// </summary>
/// <remarks>
/// <see cref="System.Diagnostics.Process.BeginOutputReadLine"/> builds each line in a <see cref="StringBuilder"/> with no
/// limit, so a child writing a gigabyte without a newline would make the host hold it. Here the memory per stream is one
/// read buffer and one line buffer, whatever the child writes.
/// </remarks>
internal static class ChildOutputReader
{
    private const int ReadBufferBytes = 16 * 1024;

    /// <summary>Reads <paramref name="source"/> to its end (or until it is closed under the reader) and hands each line to <paramref name="onLine"/>.</summary>
    /// <param name="source">The child's stream; not disposed here (the process owns it).</param>
    /// <param name="maxLineBytes">The longest line handed on whole, in bytes.</param>
    /// <param name="onLine">Called on the reading task, one line at a time, in order; it must not throw.</param>
    /// <returns>A task that completes at the end of the stream; it never faults.</returns>
    public static async Task PumpAsync(Stream source, int maxLineBytes, Action<string> onLine)
    {
        byte[] buffer = new byte[ReadBufferBytes];
        byte[] line = new byte[maxLineBytes];
        int lineLength = 0;
        bool skipping = false;
        while (true)
        {
            int read;
            try
            {
                read = await source.ReadAsync(buffer).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is IOException or ObjectDisposedException or InvalidOperationException or OperationCanceledException)
            {
                // The process was disposed under the reader: what was not read is lost with it.
                break;
            }

            if (read == 0)
            {
                break;
            }

            int offset = 0;
            while (offset < read)
            {
                int newline = Array.IndexOf(buffer, (byte)'\n', offset, read - offset);
                int end = newline < 0 ? read : newline;
                if (!skipping)
                {
                    int take = Math.Min(end - offset, maxLineBytes - lineLength);
                    Buffer.BlockCopy(buffer, offset, line, lineLength, take);
                    lineLength += take;
                    if (take < end - offset)
                    {
                        // Over the cap: handed on now, not at its newline, which may never come.
                        onLine(Decode(line, lineLength, cut: true));
                        skipping = true;
                    }
                }

                if (newline < 0)
                {
                    break;
                }

                if (!skipping)
                {
                    onLine(Decode(line, lineLength, cut: false));
                }

                skipping = false;
                lineLength = 0;
                offset = newline + 1;
            }
        }

        if (lineLength > 0 && !skipping)
        {
            onLine(Decode(line, lineLength, cut: false));
        }
    }

    /// <summary>
    /// What a child may not put into the host's log as it is: C0 and C1 controls but tab (terminal escapes, CSI as U+009B),
    /// DEL, line and paragraph separators, and the bidirectional overrides and isolates that reorder what a reader sees.
    /// </summary>
    private static readonly System.Buffers.SearchValues<char> Unsafe = System.Buffers.SearchValues.Create(
        "\u0000\u0001\u0002\u0003\u0004\u0005\u0006\u0007\u0008\u000a\u000b\u000c\u000d\u000e\u000f\u0010\u0011\u0012\u0013\u0014\u0015\u0016\u0017\u0018\u0019\u001a\u001b\u001c\u001d\u001e\u001f\u007f"
        + "\u0080\u0081\u0082\u0083\u0084\u0085\u0086\u0087\u0088\u0089\u008a\u008b\u008c\u008d\u008e\u008f\u0090\u0091\u0092\u0093\u0094\u0095\u0096\u0097\u0098\u0099\u009a\u009b\u009c\u009d\u009e\u009f"
        + "\u2028\u2029\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069");

    /// <summary>Decodes a line as UTF-8, with control characters (terminal escapes) made visible as '?' and a cut line marked.</summary>
    internal static string Decode(byte[] line, int length, bool cut)
    {
        int cap = line.Length;
        if (!cut && length > 0 && line[length - 1] == (byte)'\r')
        {
            length--;
        }

        if (cut)
        {
            length = WithoutIncompleteCharacter(line, length);
        }

        string text = Encoding.UTF8.GetString(line, 0, length);
        if (text.AsSpan().IndexOfAny(Unsafe) >= 0)
        {
            text = string.Create(text.Length, text, static (span, source) =>
            {
                for (int i = 0; i < source.Length; i++)
                {
                    char c = source[i];
                    span[i] = Unsafe.Contains(c) ? '?' : c;
                }
            });
        }

        return cut ? $"{text} …[cut at {cap} bytes]" : text;
    }

    /// <summary>The length without a UTF-8 sequence the cut left incomplete at the end.</summary>
    private static int WithoutIncompleteCharacter(byte[] line, int length)
    {
        int lead = length - 1;
        while (lead >= 0 && length - lead < 4 && (line[lead] & 0xC0) == 0x80)
        {
            lead--;
        }

        if (lead < 0)
        {
            return length;
        }

        byte first = line[lead];
        int needed = first >= 0xF0 ? 4 : first >= 0xE0 ? 3 : first >= 0xC0 ? 2 : 1;
        return length - lead < needed ? lead : length;
    }
}
