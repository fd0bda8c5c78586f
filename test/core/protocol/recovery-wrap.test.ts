import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  RecoveryUnwrapError, deriveLinkToken, encodeSecret, hashAccessToken, newRecoveryMaterial, unwrapRecoveredSecret, wrapForRecovery,
} from '../../../functions/core/protocol/index.ts';
import { toBase64Url } from '../../../functions/core/shared/index.ts';

const random = (n: number) => new Uint8Array(randomBytes(n));

describe('recovery wrap', () => {
  it('returns the secret when unwrapped with the recovery link\'s own secret', async () => {
    const secret = random(32);

    const material = await newRecoveryMaterial(secret, random);
    const unwrapped = await unwrapRecoveredSecret(material.recoverySecret, toBase64Url(material.wrappedSecret));

    expect(unwrapped).toBe(encodeSecret(secret));
    expect(material.tokenHash).toBe(await hashAccessToken(await deriveLinkToken(material.recoverySecret)));
    expect(Buffer.from(material.wrappedSecret).includes(Buffer.from(secret))).toBe(false);
  });

  it('refuses to unwrap with a wrong recovery secret or a changed byte', async () => {
    const material = await newRecoveryMaterial(random(32), random);
    const tampered = Uint8Array.from(material.wrappedSecret);
    tampered[20]! ^= 1;

    await expect(unwrapRecoveredSecret(encodeSecret(random(32)), material.wrappedSecret)).rejects.toBeInstanceOf(RecoveryUnwrapError);
    await expect(unwrapRecoveredSecret(material.recoverySecret, tampered)).rejects.toBeInstanceOf(RecoveryUnwrapError);
    await expect(unwrapRecoveredSecret(material.recoverySecret, 'not base64url!')).rejects.toBeInstanceOf(RecoveryUnwrapError);
  });

  it('matches an independent HKDF and AES-GCM computation with node:crypto', async () => {
    const { createDecipheriv, hkdfSync } = await import('node:crypto');
    const r = random(32);
    const secret = random(32);
    const iv = random(12);

    const wrapped = await wrapForRecovery(r, secret, iv);
    const key = Buffer.from(hkdfSync('sha256', r, Buffer.alloc(0), 'sealpost/v1 recovery-wrap', 32));
    const decipher = createDecipheriv('aes-256-gcm', key, wrapped.subarray(0, 12));
    decipher.setAuthTag(wrapped.subarray(wrapped.length - 16));
    const plain = Buffer.concat([decipher.update(wrapped.subarray(12, wrapped.length - 16)), decipher.final()]);

    expect(Buffer.from(wrapped.subarray(0, 12))).toEqual(Buffer.from(iv));
    expect(wrapped.length).toBe(12 + 32 + 16);
    expect(plain).toEqual(Buffer.from(secret));
  });
});
