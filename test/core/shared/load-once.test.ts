/**
 * loadOnce (functions/core/shared/load-once.ts): what an entry loads on first use (adapters' SDK
 * clients, routes' request schemas) is loaded once; a failed load is a 503 to retry, tried again.
 */
import { describe, expect, it } from 'vitest';
import { DependencyError, loadOnce } from '../../../functions/core/shared/index.ts';

describe('loadOnce', () => {
  it('loads nothing until asked, then once for concurrent and later calls', async () => {
    let loads = 0;
    const load = loadOnce('Thing', async () => { loads++; await new Promise((r) => setTimeout(r, 5)); return { value: 42 }; });
    expect(loads).toBe(0);
    const [a, b] = await Promise.all([load(), load()]);
    expect(a).toBe(b);
    expect((await load()).value).toBe(42);
    expect(loads).toBe(1);
  });

  it('turns a failed load into a DependencyError naming it, and tries again on the next call', async () => {
    let loads = 0;
    const load = loadOnce('Request validation', async () => {
      loads++;
      if (loads === 1) throw new Error('Cannot find module ./chunk-X.mjs');
      return 'loaded';
    });
    const failure = await load().catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(DependencyError);
    expect((failure as DependencyError).message).toBe('Request validation could not be loaded.');
    expect((failure as DependencyError).dependency).toBe('Request validation');
    expect(await load()).toBe('loaded');
    expect(loads).toBe(2);
  });
});
