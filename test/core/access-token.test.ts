import { createHash, hkdfSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ACCESS_TOKEN_INFO, deriveAccessToken, encodeSecret, hashAccessToken, isWellFormedSecret } from '../../functions/core/access-token.ts';
import { fromBase64Url, toBase64Url } from '../../functions/core/encoding.ts';

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
