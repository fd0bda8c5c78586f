import { createHash, hkdfSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  ACCESS_TOKEN_INFO, LINK_TOKEN_INFO, PASSCODE_INFO, deriveAccessToken, deriveLinkToken, deriveMessageKey, encodeSecret, hashAccessToken,
  canonicalSecret, isWellFormedSecret, normalizePasscode,
} from '../../../functions/core/protocol/index.ts';
import { fromBase64Url, toBase64Url } from '../../../functions/core/shared/index.ts';

describe('access token', () => {
  const secret = encodeSecret(Uint8Array.from({ length: 32 }, (_, i) => i));

  it('derives HKDF-SHA-256(secret, empty salt, fixed info) exactly as an independent implementation does', async () => {
    const expected = Buffer.from(hkdfSync('sha256', fromBase64Url(secret), new Uint8Array(0), ACCESS_TOKEN_INFO, 32)).toString('base64url');

    expect(await deriveAccessToken(secret)).toBe(expected);
  });

  it('stores SHA-256 of the token, which is neither the token nor the secret', async () => {
    const token = await deriveAccessToken(secret);

    const hash = await hashAccessToken(token);

    expect(hash).toBe(createHash('sha256').update(token).digest('base64url'));
    expect(hash).not.toBe(token);
    expect(token).not.toBe(secret);
  });

  it('gives different tokens for different secrets', async () => {
    const other = encodeSecret(new Uint8Array(32).fill(7));

    expect(await deriveAccessToken(other)).not.toBe(await deriveAccessToken(secret));
  });

  it('refuses malformed secrets', async () => {
    await expect(deriveAccessToken('too-short')).rejects.toThrow(RangeError);
    expect(isWellFormedSecret(secret)).toBe(true);
    expect(isWellFormedSecret(secret + 'A')).toBe(false);
    expect(isWellFormedSecret(secret.slice(0, 42) + '=')).toBe(false);
    expect(() => encodeSecret(new Uint8Array(16))).toThrow(RangeError);
  });

  it('round-trips base64url', () => {
    const bytes = Uint8Array.from({ length: 257 }, (_, i) => (i * 37) & 0xff);

    expect(fromBase64Url(toBase64Url(bytes))).toEqual(bytes);
    expect(toBase64Url(bytes)).toBe(Buffer.from(bytes).toString('base64url'));
  });
});

describe('canonical secret', () => {
  const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  /** The secret with the two unused low bits of its last character set: the same 32 bytes, another string. */
  const withUnusedBits = (secret: string) => secret.slice(0, 42) + ALPHABET[ALPHABET.indexOf(secret.at(-1) as string) | 3];

  it('spells a secret altered only in its last character\'s unused bits as the original, and derives the same key and tokens', async () => {
    const secret = encodeSecret(Uint8Array.from({ length: 32 }, (_, i) => 200 - i));
    const altered = withUnusedBits(secret);

    expect(altered).not.toBe(secret);
    expect(canonicalSecret(altered)).toBe(secret);
    expect(await deriveMessageKey(altered)).toBe(secret);
    expect(await deriveAccessToken(await deriveMessageKey(altered))).toBe(await deriveAccessToken(secret));
    expect(await deriveLinkToken(altered)).toBe(await deriveLinkToken(secret));
  });

  it('leaves a canonical secret as it is and refuses what is not a secret', () => {
    const secret = encodeSecret(new Uint8Array(32).fill(7));

    expect(canonicalSecret(secret)).toBe(secret);
    expect(canonicalSecret(secret.slice(1))).toBeUndefined();
    expect(canonicalSecret(`${secret.slice(0, 42)}=`)).toBeUndefined();
  });
});

describe('passcode and link token', () => {
  const secret = encodeSecret(Uint8Array.from({ length: 32 }, (_, i) => i));
  const hkdf = (ikm: Uint8Array, salt: Uint8Array, info: string) => Buffer.from(hkdfSync('sha256', ikm, salt, info, 32)).toString('base64url');

  it('matches the test vector of docs/protocol.md §1 for the passcode "1970-01-31"', async () => {
    const key = await deriveMessageKey(secret, '1970-01-31');
    const token = await deriveAccessToken(key);
    const link = await deriveLinkToken(secret);

    expect(key).toBe('lu2auPTryczU-psMtUF2siUAJfGt0k0wmqaPi-vGC7o');
    expect(token).toBe('bvfDcYbuiKu9TEwmJFSMGIDdXUArwR2LLGQs393s9zo');
    expect(await hashAccessToken(token)).toBe('Gk_61aCbYWr85puju8CZ6soTKDfhS1quEIYqGOGOIIU');
    expect(link).toBe('RmfAn40K0J9RTiLsICGD4-eR_55jKVthXPoMD1k6wBU');
    expect(await hashAccessToken(link)).toBe('8OgRlU5N2UQdypOfh6R7Bi_JP_Y4hug4y6RvKe3uDqI');
  });

  it('mixes the normalized passcode in as the HKDF salt, exactly as node:crypto does', async () => {
    const passcode = ' Ｐａｓｓ  word\t1 ';

    const key = await deriveMessageKey(secret, passcode);

    expect(key).toBe(hkdf(fromBase64Url(secret), new TextEncoder().encode('Pass word 1'), PASSCODE_INFO));
    expect(await deriveLinkToken(secret)).toBe(hkdf(fromBase64Url(secret), new Uint8Array(0), LINK_TOKEN_INFO));
  });

  it('keeps the secret as the key without a passcode, and gives different keys for different passcodes', async () => {
    expect(await deriveMessageKey(secret)).toBe(secret);
    expect(await deriveMessageKey(secret, 'abc')).not.toBe(await deriveMessageKey(secret, 'ABC'));
    expect(await deriveMessageKey(secret, 'abc')).not.toBe(secret);
    expect(await deriveLinkToken(secret)).not.toBe(await deriveAccessToken(secret));
  });

  it('normalizes passcodes: NFKC, trimmed, inner white space collapsed, case kept', () => {
    expect(normalizePasscode('  31.01.1970 ')).toBe('31.01.1970');
    expect(normalizePasscode('ＡＢＣ１２３')).toBe('ABC123');
    expect(normalizePasscode('a \u00a0\t b')).toBe('a b');
    expect(normalizePasscode('e\u0301')).toBe('\u00e9');
    expect(normalizePasscode('Secret')).not.toBe(normalizePasscode('secret'));
  });

  it('refuses a passcode that is only white space', async () => {
    await expect(deriveMessageKey(secret, ' \t ')).rejects.toThrow(RangeError);
  });
});
