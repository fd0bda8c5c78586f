/**
 * The recovery wrap, shared by the server and the browser (WebCrypto only).
 *
 * Recovery links carry their own secret R (32 random bytes) after the `#`. The server keeps only
 *   wrappedSecret = iv (12 bytes) || AES-256-GCM(key = HKDF-SHA-256(R, salt = empty,
 *                                  info = "sealpost/v1 recovery-wrap", 32 bytes), plaintext = S)
 * and the hash of the *link token* derived from base64url(R) exactly as for a pickup link
 * (deriveLinkToken: from the fragment's secret alone, so it is the same whether or not the message
 * has a passcode). The pickup page, which sends the link token with every open, fetches the
 * ciphertext with it, receives wrappedSecret, and unwraps S itself (unwrapRecoveredSecret); the
 * server never holds R after the admin's request ends.
 */
import { fromBase64Url, toBase64Url, type RandomBytes } from '../shared/index.ts';
import { deriveLinkToken, encodeSecret, hashAccessToken, isWellFormedSecret, SECRET_BYTES } from './access-token.ts';

/** HKDF info of the key that wraps a secret under a recovery link's own secret. */
export const RECOVERY_WRAP_INFO = 'sealpost/v1 recovery-wrap';
const IV_BYTES = 12;

async function recoveryWrapKey(recoverySecret: Uint8Array, usage: 'encrypt' | 'decrypt'): Promise<CryptoKey> {
  const ikm = await crypto.subtle.importKey('raw', recoverySecret as Uint8Array<ArrayBuffer>, 'HKDF', false, ['deriveKey']);
  return crypto.subtle.deriveKey(
    { name: 'HKDF', hash: 'SHA-256', salt: new Uint8Array(0), info: new TextEncoder().encode(RECOVERY_WRAP_INFO) },
    ikm,
    { name: 'AES-GCM', length: 256 },
    false,
    [usage],
  );
}

/** iv || AES-256-GCM(HKDF(R), S): a secret wrapped under a recovery link's own secret R. */
export async function wrapForRecovery(recoverySecret: Uint8Array, secret: Uint8Array, iv: Uint8Array): Promise<Uint8Array> {
  if (recoverySecret.length !== SECRET_BYTES || secret.length !== SECRET_BYTES || iv.length !== IV_BYTES) throw new RangeError('recovery wrap needs a 32-byte R, a 32-byte secret and a 12-byte iv');
  const key = await recoveryWrapKey(recoverySecret, 'encrypt');
  const sealed = new Uint8Array(await crypto.subtle.encrypt({ name: 'AES-GCM', iv: iv as Uint8Array<ArrayBuffer> }, key, secret as Uint8Array<ArrayBuffer>));
  const out = new Uint8Array(IV_BYTES + sealed.length);
  out.set(iv, 0);
  out.set(sealed, IV_BYTES);
  return out;
}

/** Raised by the browser (and tests) when a wrapped secret does not open with the link's R. */
export class RecoveryUnwrapError extends Error {
  override readonly name = 'RecoveryUnwrapError';
}

/**
 * The browser's side of a recovery link: unwraps the message secret S from the server's
 * `Sealpost-Wrapped-Secret` (base64url, or bytes) with the link's secret R (the fragment). Returns
 * S as the 43-character secret string the pickup page decrypts with.
 */
export async function unwrapRecoveredSecret(recoverySecret: string, wrapped: string | Uint8Array): Promise<string> {
  if (!isWellFormedSecret(recoverySecret)) throw new RecoveryUnwrapError('malformed recovery secret');
  let bytes: Uint8Array;
  try {
    bytes = typeof wrapped === 'string' ? fromBase64Url(wrapped) : wrapped;
  } catch {
    throw new RecoveryUnwrapError('malformed wrapped secret');
  }
  if (bytes.length !== IV_BYTES + SECRET_BYTES + 16) throw new RecoveryUnwrapError('malformed wrapped secret');
  try {
    const key = await recoveryWrapKey(fromBase64Url(recoverySecret), 'decrypt');
    const plain = new Uint8Array(await crypto.subtle.decrypt({ name: 'AES-GCM', iv: bytes.slice(0, IV_BYTES) }, key, bytes.slice(IV_BYTES)));
    return encodeSecret(plain);
  } catch {
    throw new RecoveryUnwrapError('the wrapped secret does not open with this recovery link');
  }
}

/** A new recovery link's parts: R (the fragment), what the head keeps, and the wrapped secret. */
export interface RecoveryMaterial {
  /** base64url(R): goes after the `#` of the recovery link and nowhere else. */
  readonly recoverySecret: string;
  /** base64url SHA-256 of deriveLinkToken(base64url(R)): stored in the RecoveryGrant. */
  readonly tokenHash: string;
  readonly wrappedSecret: Uint8Array;
}

/** Makes a recovery link's material for secret S. R and the iv come from `random`; R is zeroed after. */
export async function newRecoveryMaterial(secret: Uint8Array, random: RandomBytes): Promise<RecoveryMaterial> {
  const r = random(SECRET_BYTES);
  try {
    const recoverySecret = encodeSecret(r);
    const wrappedSecret = await wrapForRecovery(r, secret, random(IV_BYTES));
    const tokenHash = await hashAccessToken(await deriveLinkToken(recoverySecret));
    return { recoverySecret, tokenHash, wrappedSecret };
  } finally {
    r.fill(0);
  }
}

/** base64url of the wrapped secret, as sent in the Sealpost-Wrapped-Secret response header. */
export function encodeWrappedSecret(wrapped: Uint8Array): string {
  return toBase64Url(wrapped);
}
