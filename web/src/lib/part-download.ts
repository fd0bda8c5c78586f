/**
 * Downloading and decrypting a sealed upload (docs/protocol.md §21.2): the open answered with the
 * same-origin URLs of its ciphertext parts and their sizes, and counted the view. The parts are
 * fetched one after another, each checked against its size, and fed in order to the streaming
 * decryptor (lib/crypto.ts) while the next one downloads; the plaintext is the message only once
 * the decryptor's `finish` has checked the final tag.
 *
 * A GET of a part spends nothing, so a part that fails for a reason that may pass (no answer, a 5xx,
 * a 429, a body cut short) is fetched again, a few times with a growing pause, and then, if the
 * page offers it, once more each time the recipient asks. A 403 is the URLs' 15 minutes running
 * out (S3 says the same of a part that is gone): only a new open gives new URLs, and an open spends
 * a view, so that is for the recipient to decide, never done here.
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
}

export interface Progress {
  /** `download` while parts arrive; `decrypt` once all have, until the plaintext is whole. */
  readonly phase: 'download' | 'decrypt';
  /** Ciphertext bytes downloaded (download) or decrypted (decrypt) so far, of `total`. */
  readonly done: number;
  readonly total: number;
}

export interface DownloadOptions extends Omit<PartFetchOptions, 'onBytes'> {
  readonly onProgress?: (progress: Progress) => void;
  /**
   * A part is still failing after its retries: resolve to try it again (the recipient pressed a
   * button), or reject to give up. Without it the download ends there as an error.
   */
  readonly onInterrupted?: (failure: { readonly part: number; readonly status: number }) => Promise<void>;
}

/** First pause between tries; it doubles each time. */
const FIRST_PAUSE_MS = 500;
const wait = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Downloads one part, trying again as the top of this file says; its bytes, or why not. */
export async function fetchPart(link: PartLink, options: PartFetchOptions = {}): Promise<Uint8Array | PartFailure> {
  const { fetch: fetchImpl = fetch, attempts = 4, sleep = wait, onBytes } = options;
  for (let attempt = 1; ; attempt++) {
    onBytes?.(0);
    const got = await fetchOnce(link, fetchImpl, onBytes);
    if (got instanceof Uint8Array || got.kind !== 'interrupted' || attempt >= attempts) return got;
    await sleep(FIRST_PAUSE_MS * 2 ** (attempt - 1));
  }
}

async function fetchOnce(link: PartLink, fetchImpl: Fetch, onBytes: ((received: number) => void) | undefined): Promise<Uint8Array | PartFailure> {
  let response: Response;
  try {
    // No cookies (an inbox session has no business at the bucket), no referrer, nothing cached.
    response = await fetchImpl(link.url, { method: 'GET', cache: 'no-store', credentials: 'omit', referrerPolicy: 'no-referrer', redirect: 'error' });
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
 * Downloads `parts` in order and decrypts them with `key` (the message key, or the key a recovery
 * link unlocked), each while the next downloads; resolves to the whole plaintext, or to why there is none.
 */
export async function downloadAndDecrypt(parts: readonly PartLink[], key: string, options: DownloadOptions = {}): Promise<DownloadOutcome> {
  const { onProgress, onInterrupted } = options;
  const total = parts.reduce((sum, part) => sum + part.bytes, 0);
  let downloading = true;
  let decryptedBytes = 0;
  const decryptor = createMessageDecryptor(key, {
    onProgress: ({ ciphertextBytes }) => {
      decryptedBytes = ciphertextBytes;
      if (!downloading) onProgress?.({ phase: 'decrypt', done: decryptedBytes, total });
    },
  });
  const plaintext: Uint8Array[] = [];
  let undecryptable = false;
  /** The last part's decryption, which runs while the next part downloads. */
  let decrypting: Promise<void> = Promise.resolve();
  let before = 0;
  for (const [index, link] of parts.entries()) {
    const onBytes = (received: number): void => onProgress?.({ phase: 'download', done: before + received, total });
    let got = await fetchPart(link, { ...options, onBytes });
    while (!(got instanceof Uint8Array) && got.kind === 'interrupted' && onInterrupted) {
      const { status } = got;
      if (!(await onInterrupted({ part: index, status }).then(() => true, () => false))) return { kind: 'error', status };
      got = await fetchPart(link, { ...options, onBytes });
    }
    if (!(got instanceof Uint8Array)) return got.kind === 'interrupted' ? { kind: 'error', status: got.status } : got;
    await decrypting;
    // A part that would not decrypt: the rest cannot help, so no more is downloaded.
    if (undecryptable) return { kind: 'undecryptable' };
    decrypting = decryptor.push(got).then((piece) => { plaintext.push(piece); }, () => { undecryptable = true; });
    before += link.bytes;
  }
  downloading = false;
  onProgress?.({ phase: 'decrypt', done: decryptedBytes, total });
  await decrypting;
  if (undecryptable) return { kind: 'undecryptable' };
  try {
    plaintext.push(await decryptor.finish());
  } catch {
    return { kind: 'undecryptable' };
  }
  const whole = new Uint8Array(plaintext.reduce((sum, piece) => sum + piece.length, 0));
  let offset = 0;
  for (const piece of plaintext.splice(0)) {
    whole.set(piece, offset);
    offset += piece.length;
  }
  return { kind: 'decrypted', plaintext: whole };
}
