/**
 * Hands the read buffers of a part back as soon as they have been read (blob-store.ts: every MiB,
 * and at the part's end).
 *
 * Every byte of a part arrives in buffers of its own: the socket's reads (64 KiB each) and the HTTP
 * parser's copies of the body out of them. Once the completion has copied them into its part buffer
 * they are garbage, but V8 collects young ArrayBuffers only when new space fills (these buffers
 * hardly touch it: their bytes live outside the heap) or once 32 MiB of them exist (twice the
 * default semi-space, `Heap::AllocateExternalBackingStore`). So reading a 25 or 40 MiB message held
 * about 30 MiB of dead buffers at its peak, whatever the reader did with them (measured: npm run
 * bench, "sender-api memory completing …"). A young-generation collection after each part takes
 * them back at once, a part's worth at most: about a millisecond, the young generation being nearly
 * empty.
 *
 * V8's `gc` is exposed with `--expose-gc` only; rather than a process flag (NODE_OPTIONS accepts it
 * only from Node 22.3, and a runtime that refused it would not start), the flag is set for one new
 * context, whose `gc` collects this isolate's heap, then unset. Where that is not possible, nothing
 * is collected and V8 keeps its own pace: the memory is as it was, nothing else changes.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

type Gc = (options: { readonly type: 'minor' }) => void;

/** The exposed collector, once looked for (null: none to be had). */
let gc: Gc | null | undefined;

function exposedGc(): Gc | null {
  const own = (globalThis as { gc?: unknown }).gc;
  if (typeof own === 'function') return own as Gc;
  try {
    setFlagsFromString('--expose-gc');
    const found: unknown = runInNewContext('gc');
    return typeof found === 'function' ? (found as Gc) : null;
  } catch {
    return null;
  } finally {
    setFlagsFromString('--no-expose-gc');
  }
}

/** A young-generation collection (the buffers of the part just read), when V8's collector can be had. */
export function collectYoungGarbage(): void {
  // Looked for once: null (none to be had) is remembered too, so V8's flags are not touched again.
  if (gc === undefined) gc = exposedGc();
  gc?.({ type: 'minor' });
}
