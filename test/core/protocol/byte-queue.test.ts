/**
 * The decryptor's plumbing: ByteQueue.take hands out a view where the bytes lie side by side in one
 * buffer (a message opened whole) and a copy only where they do not; inFlight keeps a bounded
 * number of WebCrypto calls going and gives the results back in order.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ByteQueue } from '../../../functions/core/protocol/openpgp-packets.ts';
import { inFlight } from '../../../functions/core/protocol/openpgp-keys.ts';

const bytes = (n: number) => new Uint8Array(n).map((_, i) => (i * 7 + 3) & 0xff);

describe('ByteQueue.take', () => {
  it('returns a view of the one buffer when the pieces taken are adjacent in it', () => {
    const whole = bytes(100);
    const queue = new ByteQueue();
    queue.push(whole.subarray(0, 30));
    queue.push(whole.subarray(30, 70));
    queue.push(whole.subarray(70));
    queue.take(10);
    const taken = queue.take(75);
    expect(taken.buffer).toBe(whole.buffer);
    expect(taken.byteOffset).toBe(10);
    expect([...taken]).toEqual([...whole.subarray(10, 85)]);
    expect(queue.length).toBe(15);
    expect([...queue.take(15)]).toEqual([...whole.subarray(85)]);
  });

  it('copies when the pieces are from different buffers or leave a gap', () => {
    const whole = bytes(100);
    const gap = new ByteQueue();
    gap.push(whole.subarray(0, 30));
    gap.push(whole.subarray(31, 60));
    const across = gap.take(40);
    expect(across.buffer).not.toBe(whole.buffer);
    expect([...across]).toEqual([...whole.subarray(0, 30), ...whole.subarray(31, 41)]);

    const apart = new ByteQueue();
    apart.push(bytes(20));
    apart.push(bytes(20));
    expect([...apart.take(30)]).toEqual([...bytes(20), ...bytes(10)]);
  });

  it('gives back exactly the bytes pushed, in order, however they are cut and taken', () => {
    fc.assert(fc.property(
      fc.array(fc.integer({ min: 0, max: 40 }), { minLength: 1, maxLength: 8 }),
      fc.array(fc.boolean(), { maxLength: 8 }),
      fc.array(fc.integer({ min: 1, max: 50 }), { maxLength: 10 }),
      (cuts, fresh, takes) => {
        // Pieces cut from one buffer, some replaced by copies of themselves (another buffer).
        const total = cuts.reduce((a, b) => a + b, 0);
        const whole = bytes(total);
        const queue = new ByteQueue();
        let at = 0;
        cuts.forEach((n, i) => {
          const piece = whole.subarray(at, at + n);
          queue.push(fresh[i] ? piece.slice() : piece);
          at += n;
        });
        const out: number[] = [];
        for (const n of takes) if (n <= queue.length) out.push(...queue.take(n));
        out.push(...queue.take(queue.length));
        expect(out).toEqual([...whole]);
      },
    ));
  });
});

describe('inFlight', () => {
  it('runs at most `limit` at once, starts each next as one finishes, and returns the results in order', async () => {
    let running = 0;
    let most = 0;
    const delays = [30, 5, 20, 1, 15, 2, 8, 3, 12, 1];
    const results = await inFlight(delays, 3, async (delay, i) => {
      running++;
      most = Math.max(most, running);
      await new Promise((resolve) => setTimeout(resolve, delay));
      running--;
      return i * 10;
    });
    expect(results).toEqual(delays.map((_, i) => i * 10));
    expect(most).toBe(3);
  });

  it('rejects when one fails', async () => {
    await expect(inFlight([1, 2, 3], 2, async (n) => { if (n === 2) throw new Error('no'); return n; })).rejects.toThrow('no');
  });
});
