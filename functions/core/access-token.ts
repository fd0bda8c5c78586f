/**
 * Secrets and access tokens — shared verbatim by the server and the browser (web/src/lib/crypto.ts
 * re-exports it), so both sides derive the same token from the same secret.
 *
 * A recipient's *secret* is 32 random bytes, base64url-encoded (43 characters). It is the OpenPGP
 * password of the message and lives only after the `#` of the pickup link.
 *
 * The *access token* is HKDF-SHA-256(secret, salt = empty, info = ACCESS_TOKEN_INFO), 32 bytes,
 * base64url. The browser sends it to fetch the ciphertext; the server stores only SHA-256(token).
 * HKDF is one-way, so holding the token (or its hash) never lets the server decrypt.
 *
 * Uses WebCrypto only (globalThis.crypto), available in browsers and Node ≥ 20.
 */

import { sha256Base64Url } from './digest.ts';
import { fromBase64Url, toBase64Url } from './encoding.ts';

export const SECRET_BYTES = 32;
export const ACCESS_TOKEN_INFO = 'sealpost/v1 access-token';
const SECRET_PATTERN = /^[A-Za-z0-9_-]{43}$/;

/** True when `text` has the exact shape of a secret (43 base64url characters = 256 bits). */
export function isWellFormedSecret(text: string): boolean {
  return SECRET_PATTERN.test(text);
}

/** Encodes 32 random bytes (supplied by the caller, so tests are deterministic) as a secret. */
export function encodeSecret(randomBytes: Uint8Array): string {
  if (randomBytes.length !== SECRET_BYTES) throw new RangeError(`a secret needs exactly ${SECRET_BYTES} random bytes`);
  return toBase64Url(randomBytes);
}

/** Derives the access token the browser presents to fetch the ciphertext. */
export async function deriveAccessToken(secret: string): Promise<string> {
  if (!isWellFormedSecret(secret)) throw new RangeError('malformed secret');
  const ikm = await crypto.subtle.importKey('raw', fromBase64Url(secret), 'HKDF', false, ['deriveBits']);
  const bits = await crypto.subtle.deriveBits(
    { name: 'HKDF', hash: 'SHA-256', salt: new Uint8Array(0), info: new TextEncoder().encode(ACCESS_TOKEN_INFO) },
    ikm,
    256,
  );
  return toBase64Url(new Uint8Array(bits));
}

/** SHA-256 of an access token, base64url: the only form of the token the server keeps. */
export async function hashAccessToken(token: string): Promise<string> {
  return sha256Base64Url(token);
}
