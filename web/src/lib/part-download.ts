/**
 * Downloading and decrypting a sealed upload (docs/protocol.md §21.2): the open answered with the
 * same-origin URLs of its ciphertext parts and their sizes, and counted the view. The parts are
 * fetched a few at a time (PARTS_AT_ONCE), each checked against its size, and fed in order to the
 * streaming decryptor (lib/crypto.ts) as soon as it and the ones before it are in, so the message
 * decrypts while the rest downloads; the plaintext goes straight into one buffer as each chunk is
 * authenticated, and is the message only once the decryptor's `finish` has checked the final tag.
 * A part starts downloading once the part PARTS_AT_ONCE before it is decrypted, so no more than
 * that many parts' ciphertext is ever held.
 *
 * A GET of a part spends nothing, so a part that fails for a reason that may pass (no answer, a 5xx,
 * a 429, a body cut short) is fetched again, a few times with a growing pause, and then, if the
 * page offers it, once more each time the recipient asks (a part that failed while the recipient
 * was being asked about an earlier one is fetched again with it, not asked about twice). A 403 is
 * the URLs' 15 minutes running out (S3 says the same of a part that is gone): only a new open gives
 * new URLs, and an open spends a view, so that is for the recipient to decide, never done here.
 * Whatever ends a download early aborts the parts still downloading and starts no other.
 *
 * No DOM here (web/src/download.ts draws the progress), so the tests drive it with their own fetch.
 */
import type { Fetch, PartLink } from './api.ts';
import { createMessageDecryptor } from './crypto.ts';

/** Why a part could not be had. */
export type PartFailure =
  /** 403: the download URLs have expired (or the part is gone). */
  | { readonly kind: 'expired' }
  /** 404: the message was withdrawn or expired while downloading, and its parts deleted. */
  | { readonly kind: 'unavailable' }
  /** Still failing after the retries: no answer (`status` 0), a 5xx or 429, or the wrong number of bytes. Worth another try. */
  | { readonly kind: 'interrupted'; readonly status: number }
  /** Any other answer: trying again would get the same. */
  | { readonly kind: 'error'; readonly status: number };

/** What a download came to; a part still interrupted when the recipient gave up is an `error`. */
export type DownloadOutcome =
  | { readonly kind: 'decrypted'; readonly plaintext: Uint8Array }
  | { readonly kind: 'undecryptable' }
  | Exclude<PartFailure, { kind: 'interrupted' }>;

export interface PartFetchOptions {
  readonly fetch?: Fetch;
  /** Tries per part before giving up (default 4: the first and three retries). */
  readonly attempts?: number;
  /** Waits between tries; the tests make it instant. */
  readonly sleep?: (ms: number) => Promise<void>;
  /** Bytes of this part received so far in this try (back to 0 when a try starts over). */
  readonly onBytes?: (received: number) => void;
  /** Gives up: the request in progress is aborted, and no other try is made. */
  readonly signal?: AbortSignal;
}

export interface Progress {
  /** `download` while parts arrive (and decrypt); `decrypt` once all have, until the plaintext is whole. */
  readonly phase: 'download' | 'decrypt';
  /** Ciphertext bytes downloaded (download) or decrypted (decrypt) so far, of `total`. */
  readonly done: number;
  readonly total: number;
}

export interface DownloadOptions extends Omit<PartFetchOptions, 'onBytes' | 'signal'> {
  readonly onProgress?: (progress: Progress) => void;
  /**
   * A part is still failing after its retries: resolve to try it again (the recipient pressed a
   * button), or reject to give up. Without it the download ends there as an error.
   */
  readonly onInterrupted?: (failure: { readonly part: number; readonly status: number }) => Promise<void>;
}

/**
 * Parts downloaded at the same time. More than one hides each request's latency and keeps the
 * connection busy while a part is decrypted; few, because each holds a part's ciphertext (4 MiB).
 */
export const PARTS_AT_ONCE = 3;

/** First pause between tries; it doubles each time. */
const FIRST_PAUSE_MS = 500;
const wait = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Downloads one part, trying again as the top of this file says; its bytes, or why not. */
export async function fetchPart(link: PartLink, options: PartFetchOptions = {}): Promise<Uint8Array | PartFailure> {
  const { fetch: fetchImpl = fetch, attempts = 4, sleep = wait, onBytes, signal } = options;
  for (let attempt = 1; ; attempt++) {
    onBytes?.(0);
    const got = await fetchOnce(link, fetchImpl, onBytes, signal);
    if (got instanceof Uint8Array || got.kind !== 'interrupted' || attempt >= attempts || signal?.aborted) return got;
    await sleep(FIRST_PAUSE_MS * 2 ** (attempt - 1));
    if (signal?.aborted) return got;
  }
}

async function fetchOnce(link: PartLink, fetchImpl: Fetch, onBytes: ((received: number) => void) | undefined, signal: AbortSignal | undefined): Promise<Uint8Array | PartFailure> {
  let response: Response;
  try {
    // No cookies (an inbox session has no business at the bucket), no referrer, nothing cached.
    response = await fetchImpl(link.url, {
      method: 'GET', cache: 'no-store', credentials: 'omit', referrerPolicy: 'no-referrer', redirect: 'error', ...(signal ? { signal } : {}),
    });
  } catch {
    return { kind: 'interrupted', status: 0 };
  }
  const { status } = response;
  if (status !== 200) {
    await response.body?.cancel().catch(() => undefined);
    if (status === 403) return { kind: 'expired' };
    if (status === 404) return { kind: 'unavailable' };
    return status >= 500 || status === 429 ? { kind: 'interrupted', status } : { kind: 'error', status };
  }
  try {
    return (await readExactly(response, link.bytes, onBytes)) ?? { kind: 'interrupted', status };
  } catch {
    // The connection broke mid-body.
    return { kind: 'interrupted', status: 0 };
  }
}

/** The body if it is exactly `bytes` long, read into one buffer of that size; undefined otherwise. */
async function readExactly(response: Response, bytes: number, onBytes: ((received: number) => void) | undefined): Promise<Uint8Array | undefined> {
  const reader = response.body?.getReader();
  if (reader === undefined) {
    const whole = new Uint8Array(await response.arrayBuffer());
    onBytes?.(whole.length);
    return whole.length === bytes ? whole : undefined;
  }
  const out = new Uint8Array(bytes);
  let received = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return received === bytes ? out : undefined;
    if (received + value.length > bytes) {
      // More than the part holds: not the part the server described. Stop reading it.
      await reader.cancel().catch(() => undefined);
      return undefined;
    }
    out.set(value, received);
    received += value.length;
    onBytes?.(received);
  }
}

/**
 * Downloads `parts`, PARTS_AT_ONCE at a time, and hands each to `take` in order as soon as it and
 * the ones before it are in (without waiting for the last `take` to settle): part n + PARTS_AT_ONCE
 * starts once `take` of part n has resolved. Resolves once every part was handed over — to
 * undefined, or to why a part could not be had; rejects as a `take` did, at once. Either way the
 * downloads still in progress are aborted.
 */
export async function fetchParts(
  parts: readonly PartLink[], take: (bytes: Uint8Array, index: number) => Promise<unknown>, options: DownloadOptions = {},
): Promise<Exclude<PartFailure, { kind: 'interrupted' }> | undefined> {
  const { onProgress, onInterrupted } = options;
  const total = parts.reduce((sum, part) => sum + part.bytes, 0);
  const received = parts.map(() => 0);
  let done = 0;
  const stop = new AbortController();
  /** Times the recipient asked to resume: a part that started before the last of them failed during the same outage. */
  let resumes = 0;
  const slots: { readonly got: Promise<Uint8Array | PartFailure>; readonly resumes: number }[] = [];
  const start = (index: number): void => {
    const onBytes = (bytes: number): void => {
      done += bytes - (received[index] as number);
      received[index] = bytes;
      onProgress?.({ phase: 'download', done, total });
    };
    slots[index] = { got: fetchPart(parts[index] as PartLink, { ...options, onBytes, signal: stop.signal }), resumes };
  };
  /** Rejects as soon as a `take` does. */
  let refuse: (error: unknown) => void = () => undefined;
  const refused = new Promise<never>((_, reject) => { refuse = reject; });
  refused.catch(() => undefined);
  const taken: Promise<void>[] = [];
  try {
    for (let index = 0; index < Math.min(PARTS_AT_ONCE, parts.length); index++) start(index);
    for (let index = 0; index < parts.length; index++) {
      // This part started when the one PARTS_AT_ONCE before it was taken.
      if (index >= PARTS_AT_ONCE) await Promise.race([taken[index - PARTS_AT_ONCE], refused]);
      let slot = slots[index] as (typeof slots)[number];
      let got = await Promise.race([slot.got, refused]);
      while (!(got instanceof Uint8Array) && got.kind === 'interrupted') {
        if (slot.resumes === resumes) {
          const { status } = got;
          if (!onInterrupted || !(await onInterrupted({ part: index, status }).then(() => true, () => false))) return { kind: 'error', status };
          resumes++;
        }
        start(index);
        slot = slots[index] as (typeof slots)[number];
        got = await Promise.race([slot.got, refused]);
      }
      if (!(got instanceof Uint8Array)) return got;
      const next = index + PARTS_AT_ONCE;
      const handed = take(got, index).then(() => { if (next < parts.length && !stop.signal.aborted) start(next); });
      taken[index] = handed.catch((error: unknown) => {
        refuse(error);
        throw error;
      });
      taken[index]?.catch(() => undefined);
    }
    return undefined;
  } finally {
    stop.abort();
  }
}

/**
 * The page's decryption of a download, `push` each part in order (without waiting), then
 * `finish`: the streaming decryptor with `key`, its plaintext written straight into one buffer of
 * `total` bytes (the ciphertext's: the plaintext is shorter) as each chunk is authenticated.
 * `finish` resolves to the plaintext, a view of that buffer; every failure is a DecryptionError.
 */
export function createPartDecryptor(key: string, total: number, onDecrypted?: (ciphertextBytes: number) => void): {
  push(bytes: Uint8Array): Promise<void>;
  finish(): Promise<Uint8Array>;
} {
  const plaintext = new Uint8Array(total);
  let length = 0;
  const decryptor = createMessageDecryptor(key, {
    onPlaintext: (piece) => {
      plaintext.set(piece, length);
      length += piece.length;
    },
    ...(onDecrypted ? { onProgress: ({ ciphertextBytes }) => onDecrypted(ciphertextBytes) } : {}),
  });
  return {
    push: async (bytes) => { await decryptor.push(bytes); },
    finish: async () => {
      await decryptor.finish();
      return plaintext.subarray(0, length);
    },
  };
}

/**
 * Downloads `parts` (fetchParts) and decrypts them with `key` (the message key, or the key a
 * recovery link unlocked) as they come; resolves to the whole plaintext, or to why there is none.
 */
export async function downloadAndDecrypt(parts: readonly PartLink[], key: string, options: DownloadOptions = {}): Promise<DownloadOutcome> {
  const { onProgress } = options;
  const total = parts.reduce((sum, part) => sum + part.bytes, 0);
  let downloading = true;
  let decryptedBytes = 0;
  const decryptor = createPartDecryptor(key, total, (bytes) => {
    decryptedBytes = bytes;
    if (!downloading) onProgress?.({ phase: 'decrypt', done: decryptedBytes, total });
  });
  let failure: Awaited<ReturnType<typeof fetchParts>>;
  try {
    // A part that would not decrypt: the rest cannot help, so no more is downloaded.
    failure = await fetchParts(parts, (bytes) => decryptor.push(bytes), options);
  } catch {
    return { kind: 'undecryptable' };
  }
  if (failure) return failure;
  downloading = false;
  onProgress?.({ phase: 'decrypt', done: decryptedBytes, total });
  try {
    return { kind: 'decrypted', plaintext: await decryptor.finish() };
  } catch {
    return { kind: 'undecryptable' };
  }
}
