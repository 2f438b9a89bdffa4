namespace IpcBroker.MiniLauncher;

/// <summary>
/// Assembles a classic BPF program (the seccomp filter language) with named jump targets, resolved to the relative
/// offsets BPF wants when <see cref="Build"/> is called.
/// </summary>
/// <remarks>
/// Classic BPF jumps only forward, by at most 255 instructions for a conditional jump; <see cref="Build"/> refuses a
/// program that breaks either rule rather than emit a wrong one.
/// </remarks>
internal sealed class BpfProgramBuilder
{
    /// <summary><c>BPF_LD | BPF_W | BPF_ABS</c>: load a 32-bit word of <c>seccomp_data</c>.</summary>
    private const ushort LoadWordAbsolute = 0x00 | 0x00 | 0x20;

    /// <summary><c>BPF_JMP | BPF_JEQ | BPF_K</c>.</summary>
    private const ushort JumpIfEqual = 0x05 | 0x10;

    /// <summary><c>BPF_JMP | BPF_JGE | BPF_K</c>.</summary>
    private const ushort JumpIfGreaterOrEqual = 0x05 | 0x30;

    /// <summary><c>BPF_JMP | BPF_JSET | BPF_K</c>: jump if any of the bits is set.</summary>
    private const ushort JumpIfAnyBitSet = 0x05 | 0x40;

    /// <summary><c>BPF_JMP | BPF_JA</c>.</summary>
    private const ushort JumpAlways = 0x05 | 0x00;

    /// <summary><c>BPF_ALU | BPF_AND | BPF_K</c>.</summary>
    private const ushort AndConstant = 0x04 | 0x50;

    /// <summary><c>BPF_RET | BPF_K</c>.</summary>
    private const ushort ReturnConstant = 0x06;

    private readonly List<(ushort Code, string? TrueLabel, string? FalseLabel, uint Constant)> instructions = [];
    private readonly Dictionary<string, int> labels = new(StringComparer.Ordinal);

    /// <summary>Marks the next instruction as the target <paramref name="label"/>.</summary>
    /// <param name="label">The label.</param>
    /// <returns>This builder.</returns>
    public BpfProgramBuilder Label(string label)
    {
        this.labels.Add(label, this.instructions.Count);
        return this;
    }

    /// <summary>Loads the 32-bit word at <paramref name="offset"/> of <c>struct seccomp_data</c> into the accumulator.</summary>
    /// <param name="offset">The byte offset.</param>
    /// <returns>This builder.</returns>
    public BpfProgramBuilder Load(uint offset) => this.Add(LoadWordAbsolute, null, null, offset);

    /// <summary>Jumps to <paramref name="ifEqual"/> when the accumulator is <paramref name="value"/>, else to <paramref name="otherwise"/>.</summary>
    /// <param name="value">The value.</param>
    /// <param name="ifEqual">The label when equal; null for the next instruction.</param>
    /// <param name="otherwise">The label when not; null for the next instruction.</param>
    /// <returns>This builder.</returns>
    public BpfProgramBuilder IfEqual(uint value, string? ifEqual, string? otherwise = null) => this.Add(JumpIfEqual, ifEqual, otherwise, value);

    /// <summary>Jumps to <paramref name="ifAtLeast"/> when the accumulator is at least <paramref name="value"/> (unsigned).</summary>
    /// <param name="value">The value.</param>
    /// <param name="ifAtLeast">The label when greater or equal; null for the next instruction.</param>
    /// <param name="otherwise">The label when less; null for the next instruction.</param>
    /// <returns>This builder.</returns>
    public BpfProgramBuilder IfAtLeast(uint value, string? ifAtLeast, string? otherwise = null) => this.Add(JumpIfGreaterOrEqual, ifAtLeast, otherwise, value);

    /// <summary>Jumps to <paramref name="ifAnySet"/> when the accumulator has any bit of <paramref name="bits"/> set.</summary>
    /// <param name="bits">The bits.</param>
    /// <param name="ifAnySet">The label when any is set; null for the next instruction.</param>
    /// <param name="otherwise">The label when none is; null for the next instruction.</param>
    /// <returns>This builder.</returns>
    public BpfProgramBuilder IfAnyBitSet(uint bits, string? ifAnySet, string? otherwise = null) => this.Add(JumpIfAnyBitSet, ifAnySet, otherwise, bits);

    /// <summary>Masks the accumulator with <paramref name="bits"/>.</summary>
    /// <param name="bits">The mask.</param>
    /// <returns>This builder.</returns>
    public BpfProgramBuilder And(uint bits) => this.Add(AndConstant, null, null, bits);

    /// <summary>Jumps to <paramref name="label"/>.</summary>
    /// <param name="label">The label.</param>
    /// <returns>This builder.</returns>
    public BpfProgramBuilder Jump(string label) => this.Add(JumpAlways, label, null, 0);

    /// <summary>Ends the filter with <paramref name="action"/> (a <c>SECCOMP_RET_*</c> value).</summary>
    /// <param name="action">The action, with its data (e.g. the errno) in the low 16 bits.</param>
    /// <returns>This builder.</returns>
    public BpfProgramBuilder Return(uint action) => this.Add(ReturnConstant, null, null, action);

    /// <summary>Resolves the labels and encodes the program as <c>struct sock_filter</c> entries.</summary>
    /// <returns>Eight bytes per instruction: code (u16), jt (u8), jf (u8), k (u32), little-endian.</returns>
    /// <exception cref="InvalidOperationException">A label is missing, backwards or too far.</exception>
    public byte[] Build()
    {
        byte[] program = new byte[this.instructions.Count * 8];
        for (int i = 0; i < this.instructions.Count; i++)
        {
            (ushort code, string? trueLabel, string? falseLabel, uint constant) = this.instructions[i];
            Span<byte> slot = program.AsSpan(i * 8, 8);
            System.Buffers.Binary.BinaryPrimitives.WriteUInt16LittleEndian(slot, code);
            if (code == JumpAlways)
            {
                System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(slot[4..], (uint)this.Offset(i, trueLabel, int.MaxValue));
                continue;
            }

            slot[2] = (byte)this.Offset(i, trueLabel, byte.MaxValue);
            slot[3] = (byte)this.Offset(i, falseLabel, byte.MaxValue);
            System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(slot[4..], constant);
        }

        return program;
    }

    private int Offset(int from, string? label, int limit)
    {
        if (label is null)
        {
            return 0;
        }

        int offset = this.labels.TryGetValue(label, out int target)
            ? target - from - 1
            : throw new InvalidOperationException($"BPF label '{label}' is not defined.");
        return offset >= 0 && offset <= limit
            ? offset
            : throw new InvalidOperationException($"BPF jump to '{label}' is {offset} instructions, outside 0..{limit}.");
    }

    private BpfProgramBuilder Add(ushort code, string? trueLabel, string? falseLabel, uint constant)
    {
        this.instructions.Add((code, trueLabel, falseLabel, constant));
        return this;
    }
}
