/**
 * The young-generation collection after each part read (functions/adapters/s3/young-garbage.ts):
 * it takes dead ArrayBuffers back, and leaves V8's `gc` exposed nowhere — not to this process's code,
 * nor to a context made afterwards. (That reading parts leaves few buffers: blob-store.test.ts.)
 */
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { collectYoungGarbage } from '../../../functions/adapters/s3/young-garbage.ts';

describe('collectYoungGarbage', () => {
  it('takes dead buffers back, and exposes gc to no code', async () => {
    collectYoungGarbage();
    await new Promise((resolve) => setTimeout(resolve, 20));
    const before = process.memoryUsage().arrayBuffers;
    let dead: Buffer[] | undefined = Array.from({ length: 256 }, () => Buffer.alloc(64 * 1024, 1));
    expect(process.memoryUsage().arrayBuffers - before).toBeGreaterThanOrEqual(16 * 1024 * 1024);
    dead = undefined;

    collectYoungGarbage();
    // The buffers' memory is swept off the main thread: soon after, not at once.
    for (let waited = 0; waited < 2000 && process.memoryUsage().arrayBuffers - before > 4 * 1024 * 1024; waited += 10) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }

    expect(dead).toBeUndefined();
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(4 * 1024 * 1024);
    expect(typeof (globalThis as { gc?: unknown }).gc).toBe('undefined');
    expect(runInNewContext('typeof gc')).toBe('undefined');
  });
});
