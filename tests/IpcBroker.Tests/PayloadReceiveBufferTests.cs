using System.Buffers;
using IpcBroker.Protocol;
using Nerdbank.Streams;

namespace IpcBroker.Tests;

/// <summary>The memory a received payload is gathered in follows what its sender was charged for it.</summary>
public class PayloadReceiveBufferTests
{
    [Fact]
    public void OneByteRentsLittleMoreThanOneByte()
    {
        var pool = new CountingPool();
        using (Sequence<byte> buffer = PayloadTransfer.NewReceiveBuffer(pool))
        {
            PayloadTransfer.Gather(buffer, new ReadOnlySequence<byte>(new byte[1]), charged: 1);
            Assert.Equal(1, buffer.Length);
        }

        // A peer that sends one byte on each of many channels must not pin a large segment on each.
        Assert.InRange(pool.MostRented, 1, 64);
    }

    [Fact]
    public void WhatIsRentedStaysWithinTwiceWhatWasChargedAndALargePayloadTakesFewSegments()
    {
        var pool = new CountingPool();
        var piece = new byte[1000];
        long charged = 0;
        using (Sequence<byte> buffer = PayloadTransfer.NewReceiveBuffer(pool))
        {
            while (charged < 1024 * 1024)
            {
                charged += piece.Length;
                PayloadTransfer.Gather(buffer, new ReadOnlySequence<byte>(piece), charged);
                Assert.InRange(pool.Rented, 1, (2 * charged) + 64);
            }

            Assert.Equal(charged, buffer.Length);
        }

        // Segments grow to the receive segment size, so a mebibyte is not gathered in a thousand arrays.
        Assert.InRange(pool.Rents, 1, 64);
        Assert.Equal(0, pool.Rented);
    }

    /// <summary>An array pool that counts what is out.</summary>
    private sealed class CountingPool : ArrayPool<byte>
    {
        public long Rented { get; private set; }

        public long MostRented { get; private set; }

        public int Rents { get; private set; }

        public override byte[] Rent(int minimumLength)
        {
            byte[] array = Shared.Rent(minimumLength);
            this.Rents++;
            this.Rented += array.Length;
            this.MostRented = Math.Max(this.MostRented, this.Rented);
            return array;
        }

        public override void Return(byte[] array, bool clearArray = false)
        {
            this.Rented -= array.Length;
            Shared.Return(array, clearArray);
        }
    }
}
