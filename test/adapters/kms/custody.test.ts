import { randomBytes } from 'node:crypto';
import { KMSClient } from '@aws-sdk/client-kms';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KmsKeyWrapper } from '../../../functions/adapters/kms/key-wrapper.ts';
import { custodyContext, unwrapSecret, wrapSecrets } from '../../../functions/core/message-center/index.ts';
import { DependencyError } from '../../../functions/core/shared/index.ts';
import type { MessageHead } from '../../../functions/core/messages/index.ts';
import { startKms } from '../../../functions/stand-ins/kms-stand-in.ts';

type Kms = Awaited<ReturnType<typeof startKms>>;

let kms: Kms;
let client: KMSClient;
beforeAll(async () => {
  kms = await startKms();
  process.env.AWS_ENDPOINT_URL_KMS = kms.endpoint;
  client = new KMSClient({ region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
});
afterAll(async () => { client.destroy(); await kms.close(); });

function aHead(id: string, tenantId: string, wrappedSecrets: Uint8Array, count: number): MessageHead {
  return {
    id, tenantId, createdAt: '2026-11-29T12:00:00.000Z', expiresAt: '2026-12-13T12:00:00.000Z', state: 'active', chunkCount: 1, ciphertextBytes: 1,
    custody: 'message-center', wrappedSecrets,
    recipients: Array.from({ length: count }, (_, i) => ({ email: `r${i}@example.com`, rid: `r${i}`, kind: 'to' as const, tokenHash: 'x', status: 'notified' as const, opens: 0 })),
  };
}

describe('Message Center custody on the KMS adapter', () => {
  it('unwraps one recipient\'s secret of a full message when the context is the message\'s own', async () => {
    const keys = new KmsKeyWrapper(client, kms.keyId);
    const secrets = Array.from({ length: 100 }, () => new Uint8Array(randomBytes(32)));

    const wrapped = await wrapSecrets(keys, 't_acme', 'mmmmmmmmmmmmmmmmmmmmm1', secrets);
    const r99 = await unwrapSecret(keys, aHead('mmmmmmmmmmmmmmmmmmmmm1', 't_acme', wrapped, 100), 'r99');

    expect(Buffer.from(r99)).toEqual(Buffer.from(secrets[99]!));
  });

  it('refuses to unwrap when the encryption context names another message, tenant or purpose', async () => {
    const keys = new KmsKeyWrapper(client, kms.keyId);
    const wrapped = await wrapSecrets(keys, 't_acme', 'mmmmmmmmmmmmmmmmmmmmm1', [new Uint8Array(randomBytes(32))]);
    const context = custodyContext('t_acme', 'mmmmmmmmmmmmmmmmmmmmm1');

    const attempts = [
      keys.unwrap(wrapped, { ...context, messageId: 'mmmmmmmmmmmmmmmmmmmmm2' }),
      keys.unwrap(wrapped, { ...context, tenantId: 't_other' }),
      keys.unwrap(wrapped, { ...context, purpose: 'webhook-secret' }),
      unwrapSecret(keys, aHead('mmmmmmmmmmmmmmmmmmmmm2', 't_acme', wrapped, 1), 'r0'),
    ];

    for (const attempt of attempts) await expect(attempt).rejects.toBeInstanceOf(DependencyError);
    await expect(keys.unwrap(wrapped, context)).resolves.toHaveLength(32);
  });
});
