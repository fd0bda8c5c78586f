/**
 * onFirstCall (functions/entries/compose/on-first-call.ts): the adapters an entry reaches only on
 * some requests are built on their first call, once, and a failed build is tried again.
 */
import { describe, expect, it } from 'vitest';
import { onFirstCall } from '../../functions/entries/compose/on-first-call.ts';
import { DependencyError, type KeyWrapper } from '../../functions/core/shared/index.ts';

const METHODS = { wrap: true, unwrap: true } as const;

function countingWrapper(): KeyWrapper & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    wrap: async (plaintext, context) => { calls.push(`wrap ${context.purpose}`); return plaintext.map((b) => b ^ 1); },
    unwrap: async (wrapped, context) => { calls.push(`unwrap ${context.purpose}`); return wrapped.map((b) => b ^ 1); },
  };
}

describe('onFirstCall', () => {
  it('builds nothing until the first call, then builds once for concurrent and later calls', async () => {
    let builds = 0;
    const inner = countingWrapper();
    const keys = onFirstCall<KeyWrapper>('KMS', METHODS, async () => { builds++; await new Promise((r) => setTimeout(r, 5)); return inner; });
    expect(builds).toBe(0);
    const [a, b] = await Promise.all([keys.wrap(new Uint8Array([1, 2]), { purpose: 'a' }), keys.unwrap(new Uint8Array([3]), { purpose: 'b' })]);
    expect([...a]).toEqual([0, 3]);
    expect([...b]).toEqual([2]);
    await keys.wrap(new Uint8Array([0]), { purpose: 'c' });
    expect(builds).toBe(1);
    expect(inner.calls.sort()).toEqual(['unwrap b', 'wrap a', 'wrap c']);
  });

  it('answers a build that fails with a DependencyError naming the dependency, and builds again on the next call', async () => {
    let builds = 0;
    const keys = onFirstCall<KeyWrapper>('KMS', METHODS, async () => {
      builds++;
      if (builds === 1) throw new Error('chunk missing');
      return countingWrapper();
    });
    const failed = await keys.wrap(new Uint8Array([1]), { purpose: 'a' }).catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(DependencyError);
    expect((failed as DependencyError).dependency).toBe('KMS');
    expect((failed as Error).message).not.toContain('chunk missing');
    expect([...await keys.wrap(new Uint8Array([1]), { purpose: 'a' })]).toEqual([0]);
    expect(builds).toBe(2);
  });

  it('passes the adapter its own `this`, so class-based adapters work', async () => {
    class Wrapper implements KeyWrapper {
      private readonly xor = 7;
      async wrap(plaintext: Uint8Array) { return plaintext.map((b) => b ^ this.xor); }
      async unwrap(wrapped: Uint8Array) { return wrapped.map((b) => b ^ this.xor); }
    }
    const keys = onFirstCall<KeyWrapper>('KMS', METHODS, async () => new Wrapper());
    expect([...await keys.unwrap(new Uint8Array([7]), {})]).toEqual([0]);
  });
});
