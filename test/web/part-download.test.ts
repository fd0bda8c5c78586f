/**
 * The download of a sealed upload's parts (web/src/lib/part-download.ts) with a fetch the test
 * controls: each URL answers from the real ciphertext the server's sealer made, or fails as the
 * test scripts it; decryption is the page's real streaming decryptor.
 */
import { randomBytes } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';

import { SubsetSealer } from '../../functions/core/protocol/index.ts';
import type { Fetch, PartLink } from '../../web/src/lib/api.ts';
import { PARTS_AT_ONCE, downloadAndDecrypt, fetchPart, type Progress } from '../../web/src/lib/part-download.ts';

const KEY = 'k'.repeat(43);
const PART_BYTES = 256 * 1024;

/**
 * What a URL answers on its nth request (0-based): the part itself, or a failure; `hang`: no answer
 * until the request is aborted.
 */
type Script = (request: number) => 'ok' | 'network' | 'cut' | 'short' | 'long' | 'hang' | number;

interface Stage {
  readonly links: PartLink[];
  readonly fetch: Fetch;
  /** Every request, as `GET <url>` with its init. */
  readonly requests: { url: string; init: RequestInit }[];
  /** The most requests answered at the same time (a request counts until its answer is there). */
  readonly mostAtOnce: () => number;
}

/**
 * Serves `parts` at /blobs/m/<i>, following `scripts[i]` (default: always the part); the first
 * answer for part i waits for `holds[i]`.
 */
function aStage(parts: readonly Uint8Array[], scripts: Record<number, Script> = {}, holds: Record<number, Promise<void>> = {}): Stage {
  const requests: { url: string; init: RequestInit }[] = [];
  const counts = new Map<number, number>();
  let open = 0;
  let most = 0;
  const links = parts.map((part, i) => ({ url: `/blobs/m/${i}?X-Amz-Signature=s${i}`, bytes: part.length }));
  const answer = async (url: string, init: RequestInit): Promise<Response> => {
    requests.push({ url, init });
    const index = links.findIndex((link) => link.url === url);
    const part = parts[index];
    if (part === undefined) return new Response(null, { status: 404 });
    const n = counts.get(index) ?? 0;
    counts.set(index, n + 1);
    if (n === 0) await holds[index];
    const what = scripts[index]?.(n) ?? 'ok';
    if (what === 'network') throw new TypeError('Failed to fetch');
    if (what === 'hang') {
      return new Promise((_, reject) => init.signal?.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError'))));
    }
    if (typeof what === 'number') return new Response('<Error/>', { status: what, headers: { 'Content-Type': 'application/xml' } });
    if (what === 'short') return new Response(part.slice(0, part.length - 1), { status: 200 });
    if (what === 'long') return new Response(Buffer.concat([part, Buffer.from([0])]), { status: 200 });
    if (what === 'cut') {
      // Half the body, then the connection breaks.
      let sent = false;
      const stream = new ReadableStream<Uint8Array>({
        pull(controller) {
          if (sent) return controller.error(new TypeError('network error'));
          sent = true;
          controller.enqueue(part.slice(0, part.length >> 1));
        },
      });
      return new Response(stream, { status: 200 });
    }
    return new Response(part.slice(), { status: 200 });
  };
  const fetch: Fetch = async (url, init) => {
    most = Math.max(most, ++open);
    try {
      return await answer(url, init);
    } finally {
      open--;
    }
  };
  return { links, fetch, requests, mostAtOnce: () => most };
}

const splitInto = (bytes: Uint8Array, size: number): Uint8Array[] =>
  Array.from({ length: Math.ceil(bytes.length / size) }, (_, i) => bytes.subarray(i * size, (i + 1) * size));

const noSleep = (pauses: number[] = []) => async (ms: number) => { pauses.push(ms); };
/** Long enough for anything a finished download might still start (a decryption in the thread pool, its then) to have started. */
const settle = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 50));
const urlsOf = (stage: Stage): string[] => stage.requests.map((r) => r.url);

describe('downloadAndDecrypt', () => {
  let plaintext: Uint8Array;
  let parts: Uint8Array[];

  beforeAll(async () => {
    plaintext = new Uint8Array(randomBytes(900 * 1024));
    parts = splitInto(await new SubsetSealer((n) => crypto.getRandomValues(new Uint8Array(n))).seal(plaintext, [KEY]), PART_BYTES);
  });

  it('fetches the parts in order, checks each, and returns the plaintext once the decryptor finished', async () => {
    const stage = aStage(parts);
    const progress: Progress[] = [];

    const outcome = await downloadAndDecrypt(stage.links, KEY, { fetch: stage.fetch, sleep: noSleep(), onProgress: (p) => progress.push(p) });

    expect(outcome.kind).toBe('decrypted');
    expect(Buffer.from(outcome.kind === 'decrypted' ? outcome.plaintext : new Uint8Array()).equals(Buffer.from(plaintext))).toBe(true);
    expect(urlsOf(stage)).toEqual(stage.links.map((l) => l.url));
    expect(stage.mostAtOnce()).toBe(PARTS_AT_ONCE);
    expect(stage.requests[0]?.init).toMatchObject({ method: 'GET', cache: 'no-store', credentials: 'omit', referrerPolicy: 'no-referrer', redirect: 'error' });
    // The download counts up to the total, then the decryption does.
    const total = parts.reduce((sum, p) => sum + p.length, 0);
    const downloads = progress.filter((p) => p.phase === 'download').map((p) => p.done);
    expect(downloads.at(-1)).toBe(total);
    expect(progress.findIndex((p) => p.phase === 'decrypt')).toBeGreaterThan(progress.findLastIndex((p) => p.phase === 'download'));
    expect(progress.at(-1)).toEqual({ phase: 'decrypt', done: total, total });
    expect(progress.every((p) => p.total === total)).toBe(true);
  });

  it('tries a part again after a network error and a 503, pausing longer each time', async () => {
    const stage = aStage(parts, { 1: (n) => (n === 0 ? 'network' : n === 1 ? 503 : 'ok') });
    const pauses: number[] = [];

    const outcome = await downloadAndDecrypt(stage.links, KEY, { fetch: stage.fetch, sleep: noSleep(pauses) });

    expect(outcome.kind).toBe('decrypted');
    expect(stage.requests.filter((r) => r.url === stage.links[1]?.url)).toHaveLength(3);
    expect(pauses).toEqual([500, 1000]);
  });

  it.each([['cut', 'a body that breaks off'], ['short', 'a body a byte short'], ['long', 'a body a byte long']] as const)(
    'tries again after %s (%s)', async (failure, _what) => {
      const stage = aStage(parts, { 0: (n) => (n === 0 ? failure : 'ok') });

      const outcome = await downloadAndDecrypt(stage.links, KEY, { fetch: stage.fetch, sleep: noSleep() });

      expect(outcome.kind).toBe('decrypted');
      expect(stage.requests.filter((r) => r.url === stage.links[0]?.url)).toHaveLength(2);
    },
  );

  it('gives up on a part that keeps failing after four tries, without an onInterrupted, and starts nothing after', async () => {
    const stage = aStage(parts, { 2: () => 502 });

    const outcome = await downloadAndDecrypt(stage.links, KEY, { fetch: stage.fetch, sleep: noSleep() });
    const requested = stage.requests.length;
    await settle();

    expect(outcome).toEqual({ kind: 'error', status: 502 });
    expect(stage.requests.filter((r) => r.url === stage.links[2]?.url)).toHaveLength(4);
    expect(stage.requests).toHaveLength(requested);
  });

  it('resumes the same part when onInterrupted resolves, and gives up when it rejects', async () => {
    const resumed = aStage(parts, { 1: (n) => (n < 4 ? 'network' : 'ok') });
    const asked: { part: number; status: number }[] = [];

    const outcome = await downloadAndDecrypt(resumed.links, KEY, {
      fetch: resumed.fetch, sleep: noSleep(), onInterrupted: async (failure) => { asked.push(failure); },
    });

    expect(outcome.kind).toBe('decrypted');
    expect(asked).toEqual([{ part: 1, status: 0 }]);

    const abandoned = aStage(parts, { 1: () => 'network' });
    await expect(downloadAndDecrypt(abandoned.links, KEY, {
      fetch: abandoned.fetch, sleep: noSleep(), onInterrupted: () => Promise.reject(new Error('closed')),
    })).resolves.toEqual({ kind: 'error', status: 0 });
  });

  it('says the links expired on a 403, at once: no retry, no later part, nothing re-opened', async () => {
    const stage = aStage(parts, { 1: () => 403 });

    const outcome = await downloadAndDecrypt(stage.links, KEY, { fetch: stage.fetch, sleep: noSleep(), onInterrupted: async () => undefined });
    await settle();

    expect(outcome).toEqual({ kind: 'expired' });
    // The parts fetched at once, each once; none started after.
    expect(urlsOf(stage)).toEqual(stage.links.slice(0, PARTS_AT_ONCE).map((l) => l.url));
    expect(stage.requests.every((r) => r.url.startsWith('/blobs/'))).toBe(true);
  });

  it('aborts the parts still downloading when one ends the download', async () => {
    const stage = aStage(parts, { 1: () => 403, 2: () => 'hang' });

    const outcome = await downloadAndDecrypt(stage.links, KEY, { fetch: stage.fetch, sleep: noSleep() });

    expect(outcome).toEqual({ kind: 'expired' });
    const hanging = stage.requests.filter((r) => r.url === stage.links[2]?.url);
    expect(hanging).toHaveLength(1);
    expect(hanging[0]?.init.signal?.aborted).toBe(true);
  });

  it('says unavailable on a 404 (withdrawn while downloading) and stops on another 4xx', async () => {
    const gone = aStage(parts, { 0: () => 404 });
    await expect(downloadAndDecrypt(gone.links, KEY, { fetch: gone.fetch, sleep: noSleep() })).resolves.toEqual({ kind: 'unavailable' });

    const refused = aStage(parts, { 0: () => 400 });
    await expect(downloadAndDecrypt(refused.links, KEY, { fetch: refused.fetch, sleep: noSleep() })).resolves.toEqual({ kind: 'error', status: 400 });
    await settle();
    // No retry of it, and nothing after the parts that were already on their way.
    expect(urlsOf(refused)).toEqual(refused.links.slice(0, PARTS_AT_ONCE).map((l) => l.url));
  });

  it('refuses a changed part as undecryptable, and downloads no further', async () => {
    // Ten parts: a changed part 1 fails its chunk when it is decrypted, after which no part starts.
    const long = splitInto(await new SubsetSealer((n) => crypto.getRandomValues(new Uint8Array(n))).seal(new Uint8Array(randomBytes(10 * PART_BYTES)), [KEY]), PART_BYTES);
    const second = long[1] = (long[1] as Uint8Array).slice();
    second[100] = (second[100] as number) ^ 1;
    const stage = aStage(long);

    const outcome = await downloadAndDecrypt(stage.links, KEY, { fetch: stage.fetch, sleep: noSleep() });
    await settle();

    expect(outcome).toEqual({ kind: 'undecryptable' });
    // Those already on their way, and the one part 0's decryption let start.
    expect(stage.requests.length).toBeLessThanOrEqual(PARTS_AT_ONCE + 1);
  });

  it('hands the parts to the decryptor in order whatever order they arrive in, never more than PARTS_AT_ONCE at once', async () => {
    const long = splitInto(await new SubsetSealer((n) => crypto.getRandomValues(new Uint8Array(n))).seal(plaintext, [KEY]), PART_BYTES / 2);
    let release = (): void => undefined;
    const first = new Promise<void>((resolve) => { release = resolve; });
    const stage = aStage(long, {}, { 0: first });
    const downloaded: number[] = [];

    const outcome = downloadAndDecrypt(stage.links, KEY, {
      fetch: stage.fetch, sleep: noSleep(),
      onProgress: (p) => { if (p.phase === 'download') downloaded.push(p.done); },
    });
    // Parts 1 and 2 are in while part 0 is still on its way, and nothing else starts meanwhile.
    await expect.poll(() => downloaded.at(-1)).toBe((long[1]?.length ?? 0) + (long[2]?.length ?? 0));
    await settle();
    expect(urlsOf(stage)).toEqual(stage.links.slice(0, PARTS_AT_ONCE).map((l) => l.url));
    release();

    const result = await outcome;
    expect(result.kind).toBe('decrypted');
    expect(Buffer.from(result.kind === 'decrypted' ? result.plaintext : new Uint8Array()).equals(Buffer.from(plaintext))).toBe(true);
    expect(urlsOf(stage)).toEqual(stage.links.map((l) => l.url));
    expect(stage.mostAtOnce()).toBeLessThanOrEqual(PARTS_AT_ONCE);
  });

  it('asks once for an outage that failed several parts, and fetches them all again on resume', async () => {
    const stage = aStage(parts, { 1: (n) => (n < 4 ? 'network' : 'ok'), 2: (n) => (n < 4 ? 'network' : 'ok') });
    const asked: { part: number; status: number }[] = [];

    const outcome = await downloadAndDecrypt(stage.links, KEY, {
      fetch: stage.fetch, sleep: noSleep(), onInterrupted: async (failure) => { asked.push(failure); },
    });

    expect(outcome.kind).toBe('decrypted');
    expect(asked).toEqual([{ part: 1, status: 0 }]);
    expect(stage.requests.filter((r) => r.url === stage.links[2]?.url)).toHaveLength(5);
  });

  it('refuses a message cut short by a missing last part, and the wrong key', async () => {
    const cut = aStage(parts.slice(0, -1));
    await expect(downloadAndDecrypt(cut.links, KEY, { fetch: cut.fetch, sleep: noSleep() })).resolves.toEqual({ kind: 'undecryptable' });

    const whole = aStage(parts);
    await expect(downloadAndDecrypt(whole.links, 'w'.repeat(43), { fetch: whole.fetch, sleep: noSleep() })).resolves.toEqual({ kind: 'undecryptable' });
  });
});

describe('fetchPart', () => {
  const part = new Uint8Array(randomBytes(1000));

  it('reports the bytes of the current try, starting again from 0 on a retry', async () => {
    const stage = aStage([part], { 0: (n) => (n === 0 ? 'cut' : 'ok') });
    const seen: number[] = [];

    const got = await fetchPart(stage.links[0] as PartLink, { fetch: stage.fetch, sleep: noSleep(), onBytes: (n) => seen.push(n) });

    expect(got).toEqual(part);
    expect(seen[0]).toBe(0);
    expect(seen).toContain(500);
    expect(seen.lastIndexOf(0)).toBeGreaterThan(seen.indexOf(500));
    expect(seen.at(-1)).toBe(1000);
  });

  it('retries a 429 and gives the last status after the tries set', async () => {
    const stage = aStage([part], { 0: () => 429 });

    await expect(fetchPart(stage.links[0] as PartLink, { fetch: stage.fetch, sleep: noSleep(), attempts: 2 })).resolves.toEqual({ kind: 'interrupted', status: 429 });
    expect(stage.requests).toHaveLength(2);
  });
});
