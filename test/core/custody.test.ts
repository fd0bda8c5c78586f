import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { deriveLinkToken, encodeSecret, hashAccessToken } from '../../functions/core/access-token.ts';
import {
  CUSTODY_PURPOSE, RecoveryUnwrapError, STANDARD_MODE_REASON, custodyContext, inboxEntries, messageCenterHeadFields, newRecoveryMaterial,
  unwrapRecoveredSecret, unwrapSecret, wrapForRecovery, wrapSecrets,
} from '../../functions/core/custody.ts';
import { toBase64Url } from '../../functions/core/encoding.ts';
import { ConflictError, DependencyError } from '../../functions/core/errors.ts';
import type { MessageHead, RecipientRecord } from '../../functions/core/model.ts';
import { CountingKeyWrapper } from '../helpers/inbox-fakes.ts';

const random = (n: number) => new Uint8Array(randomBytes(n));
const secretsOf = (count: number) => Array.from({ length: count }, () => random(32));

function recipients(count: number): RecipientRecord[] {
  return Array.from({ length: count }, (_, i) => ({ email: `r${i}@example.com`, rid: `r${i}`, kind: 'to', tokenHash: 'x', status: 'notified', opens: 0 }));
}

function aHead(id: string, wrappedSecrets: Uint8Array, count: number, overrides: Partial<MessageHead> = {}): MessageHead {
  return {
    id, tenantId: 'acme', createdAt: '2026-11-29T12:00:00.000Z', expiresAt: '2026-12-13T12:00:00.000Z', state: 'active',
    recipients: recipients(count), chunkCount: 1, ciphertextBytes: 10, custody: 'message-center', wrappedSecrets, ...overrides,
  };
}

describe('custody', () => {
  it('wraps every recipient\'s secret with one KMS call per message, not per recipient', async () => {
    const keys = new CountingKeyWrapper();
    const secrets = secretsOf(100);

    const wrapped = await wrapSecrets(keys, 'acme', 'm1', secrets);
    const fromR57 = await unwrapSecret(keys, aHead('m1', wrapped, 100), 'r57');

    expect(keys.wrapCalls).toBe(1);
    expect(keys.unwrapCalls).toBe(1);
    expect(Buffer.from(fromR57)).toEqual(Buffer.from(secrets[57]!));
    expect(custodyContext('acme', 'm1')).toEqual({ tenantId: 'acme', messageId: 'm1', purpose: CUSTODY_PURPOSE });
  });

  it('keeps the wrapped secrets free of the secrets themselves', async () => {
    const keys = new CountingKeyWrapper();
    const secrets = secretsOf(3);

    const wrapped = Buffer.from(await wrapSecrets(keys, 'acme', 'm1', secrets));

    for (const secret of secrets) expect(wrapped.includes(Buffer.from(secret))).toBe(false);
  });

  it('fails to unwrap when the wrapped secrets of two messages are swapped', async () => {
    const keys = new CountingKeyWrapper();
    const first = await wrapSecrets(keys, 'acme', 'm1', secretsOf(2));
    const second = await wrapSecrets(keys, 'acme', 'm2', secretsOf(2));

    const onFirst = unwrapSecret(keys, aHead('m1', second, 2), 'r0');
    const onSecond = unwrapSecret(keys, aHead('m2', first, 2), 'r0');

    await expect(onFirst).rejects.toBeInstanceOf(DependencyError);
    await expect(onSecond).rejects.toBeInstanceOf(DependencyError);
  });

  it('fails to unwrap when the wrapped secrets are moved to another tenant\'s head with the same id', async () => {
    const keys = new CountingKeyWrapper();
    const wrapped = await wrapSecrets(keys, 'acme', 'm1', secretsOf(1));

    await expect(unwrapSecret(keys, aHead('m1', wrapped, 1, { tenantId: 'other' }), 'r0')).rejects.toBeInstanceOf(DependencyError);
  });

  it('refuses a standard-mode head with the reason that no key was kept, without calling KMS', async () => {
    const keys = new CountingKeyWrapper();

    const refused = unwrapSecret(keys, aHead('m1', new Uint8Array(0), 1, { custody: 'link', wrappedSecrets: undefined }), 'r0');

    await expect(refused).rejects.toBeInstanceOf(ConflictError);
    await expect(refused).rejects.toThrow(STANDARD_MODE_REASON);
    expect(keys.unwrapCalls).toBe(0);
  });

  it('decides custody by the setting at send time and lists inbox entries only for Message Center', async () => {
    const keys = new CountingKeyWrapper();
    const secrets = secretsOf(2);

    const on = await messageCenterHeadFields(keys, { messageCenter: true }, 'acme', 'm1', secrets);
    const off = await messageCenterHeadFields(keys, { messageCenter: false }, 'acme', 'm2', secrets);
    const base = { id: 'm1', tenantId: 'acme', createdAt: '2026-11-29T12:00:00.000Z', expiresAt: '2026-12-13T12:00:00.000Z', recipients: recipients(2) };

    expect(on.custody).toBe('message-center');
    expect(off).toEqual({ custody: 'link' });
    expect(keys.wrapCalls).toBe(1);
    expect(inboxEntries({ ...base, ...on }).map((e) => [e.email, e.rid])).toEqual([['r0@example.com', 'r0'], ['r1@example.com', 'r1']]);
    expect(inboxEntries({ ...base, ...off })).toEqual([]);
  });
});

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
