/** Hashing and comparison shared by core and the browser (node:crypto or WebCrypto: hashing.ts). */
import { toBase64Url } from './encoding.ts';
import { hashing } from './hashing.ts';

/** base64url(SHA-256(UTF-8 text)): how tokens, API keys, idempotency keys and request bodies are kept. */
export async function sha256Base64Url(text: string): Promise<string> {
  return toBase64Url(await hashing.sha256(new TextEncoder().encode(text)));
}

/** base64url(SHA-256(bytes)): content digests (e.g. the version of a logo). */
export async function sha256BytesBase64Url(bytes: Uint8Array): Promise<string> {
  return toBase64Url(await hashing.sha256(bytes));
}

/** Compares two strings without an early exit on the first differing character. */
export function constantTimeEqual(a: string, b: string): boolean {
  const length = Math.max(a.length, b.length);
  let diff = a.length ^ b.length;
  for (let i = 0; i < length; i++) diff |= (a.charCodeAt(i) | 0) ^ (b.charCodeAt(i) | 0);
  return diff === 0;
}
