import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  CUSTODY_PURPOSE, STANDARD_MODE_REASON, custodyContext, inboxEntries, messageCenterCustody, recoveryContext, unwrapCustodyKey, unwrapSecret, wrapSecrets,
} from '../../../functions/core/message-center/index.ts';
import { ConflictError, DependencyError, toBase64Url } from '../../../functions/core/shared/index.ts';
import type { MessageHead, RecipientRecord } from '../../../functions/core/messages/index.ts';
import { CountingKeyWrapper, InMemoryInboxStore } from '../../helpers/inbox-fakes.ts';

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

  it('keeps the secrets with one KMS call, draws a custody key wrapped under its own context, and its inbox entries name each recipient', async () => {
    const keys = new CountingKeyWrapper();
    const inbox = new InMemoryInboxStore();
    const custody = messageCenterCustody({ keys, inbox, random });
    const secrets = secretsOf(2);

    const key = await custody.drawKey('acme', 'm1');
    const wrappedSecrets = await custody.keepSecrets('acme', 'm1', secrets);
    await inbox.putEntries(inboxEntries({ ...aHead('m1', wrappedSecrets, 2), custody: 'message-center' }));
    const custodyKey = await unwrapCustodyKey(keys, { id: 'm1', tenantId: 'acme', custody: 'message-center', wrappedCustodyKey: key.wrapped });

    expect(keys.wrapCalls).toBe(2);
    expect(key.password).toBe(toBase64Url(custodyKey));
    expect(secrets.map((s) => toBase64Url(s))).not.toContain(key.password);
    await expect(keys.unwrap(key.wrapped, custodyContext('acme', 'm1'))).rejects.toThrow();
    await expect(keys.unwrap(wrappedSecrets, recoveryContext('acme', 'm1'))).rejects.toThrow();
    expect((await inbox.listEntries('acme', 'r1@example.com', 10)).map((e) => [e.messageId, e.rid])).toEqual([['m1', 'r1']]);
    expect(inboxEntries({ ...aHead('m2', new Uint8Array(), 2), custody: 'link' })).toEqual([]);
  });
});
