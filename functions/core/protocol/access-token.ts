/**
 * Secrets, keys and tokens — shared verbatim by the server and the browser (web/src/lib/crypto.ts
 * re-exports it), so both sides derive the same values from the same secret.
 *
 * A recipient's *secret* S is 32 random bytes, base64url-encoded (43 characters). It lives only
 * after the `#` of the pickup link.
 *
 * The *message key* K is the OpenPGP password of the message. Without a passcode K = S; with one,
 * K = base64url(HKDF-SHA-256(S bytes, salt = UTF-8(normalizePasscode(p)), info = PASSCODE_INFO)).
 * The passcode is mixed in before anything is derived, so the server, which never sees it, can
 * neither check a guess offline nor decrypt.
 *
 * The *access token* is HKDF-SHA-256(K, salt = empty, info = ACCESS_TOKEN_INFO), 32 bytes,
 * base64url. The browser sends it to fetch the ciphertext; the server stores only SHA-256(token).
 * The *link token* is the same derivation from S with LINK_TOKEN_INFO: it proves the link alone,
 * so a wrong passcode can be counted against the recipient it belongs to.
 * HKDF is one-way, so holding a token (or its hash) never lets the server decrypt.
 *
 * Hashes with node:crypto on Node and WebCrypto in browsers (core/shared/hashing.ts): the same bytes.
 */

import { hashing, sha256Base64Url, fromBase64Url, toBase64Url } from '../shared/index.ts';

export const SECRET_BYTES = 32;
export const ACCESS_TOKEN_INFO = 'sealpost/v1 access-token';
export const LINK_TOKEN_INFO = 'sealpost/v1 link-token';
export const PASSCODE_INFO = 'sealpost/v1 passcode';
const SECRET_PATTERN = /^[A-Za-z0-9_-]{43}$/;

/** True when `text` has the exact shape of a secret (43 base64url characters = 256 bits). */
export function isWellFormedSecret(text: string): boolean {
  return SECRET_PATTERN.test(text);
}

/**
 * The canonical spelling of a secret: decoded and encoded again. 43 base64url characters carry 258
 * bits for 256, so the last character has two unused bits, and four spellings decode to the same
 * bytes — and so to the same tokens, while the OpenPGP password (the string) would differ. Every
 * client uses the canonical spelling, so a link whose last character was altered only in those bits
 * opens the message instead of being served (and counted) and then failing to decrypt
 * (docs/protocol.md §2). Undefined for anything that is not a secret.
 */
export function canonicalSecret(text: string): string | undefined {
  return isWellFormedSecret(text) ? toBase64Url(fromBase64Url(text)) : undefined;
}

/** Encodes 32 random bytes (supplied by the caller, so tests are deterministic) as a secret. */
export function encodeSecret(randomBytes: Uint8Array): string {
  if (randomBytes.length !== SECRET_BYTES) throw new RangeError(`a secret needs exactly ${SECRET_BYTES} random bytes`);
  return toBase64Url(randomBytes);
}

async function hkdf(secret: string, salt: Uint8Array, info: string): Promise<string> {
  if (!isWellFormedSecret(secret)) throw new RangeError('malformed secret');
  return toBase64Url(await hashing.hkdfSha256(fromBase64Url(secret), salt, new TextEncoder().encode(info), 32));
}

/**
 * The canonical form of a passcode: Unicode NFKC, leading and trailing white space removed, inner
 * runs of white space collapsed to one space. Case is kept: "Ab" and "ab" are different passcodes.
 * So a full-width digit typed on a phone keyboard, or a doubled space, does not lock anyone out.
 */
export function normalizePasscode(passcode: string): string {
  return passcode.normalize('NFKC').trim().replace(/\s+/g, ' ');
}

/** The OpenPGP password of a message: the secret itself, or the secret mixed with the passcode. */
export async function deriveMessageKey(secret: string, passcode?: string): Promise<string> {
  if (passcode === undefined) {
    const canonical = canonicalSecret(secret);
    if (canonical === undefined) throw new RangeError('malformed secret');
    return canonical;
  }
  const normalized = normalizePasscode(passcode);
  if (normalized === '') throw new RangeError('empty passcode');
  return hkdf(secret, new TextEncoder().encode(normalized), PASSCODE_INFO);
}

/** Derives the access token from the message key (which is the secret when there is no passcode). */
export async function deriveAccessToken(key: string): Promise<string> {
  return hkdf(key, new Uint8Array(0), ACCESS_TOKEN_INFO);
}

/** Derives the link token from the secret alone: it identifies the recipient and proves the link. */
export async function deriveLinkToken(secret: string): Promise<string> {
  return hkdf(secret, new Uint8Array(0), LINK_TOKEN_INFO);
}

/** SHA-256 of an access or link token, base64url: the only form of a token the server keeps. */
export async function hashAccessToken(token: string): Promise<string> {
  return sha256Base64Url(token);
}
