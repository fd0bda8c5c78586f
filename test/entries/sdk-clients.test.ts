/**
 * The SDK clients the composition builds give up on a dependency that never answers: a local TCP
 * server accepts every connection and stays silent, standing in for DynamoDB, SES and KMS at once.
 */
import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { EncryptCommand, type KMSClient } from '@aws-sdk/client-kms';
import { SendRawEmailCommand, type SESClient } from '@aws-sdk/client-ses';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../../functions/config.ts';
import { composeKeys, kmsKeyWrapper } from '../../functions/entries/compose/custody.ts';
import { sesNotifier } from '../../functions/entries/compose/mail.ts';
import { SDK_TIMEOUTS, type SdkClient } from '../../functions/entries/compose/sdk-clients.ts';
import { composeStorage } from '../../functions/entries/compose/storage.ts';
import { CapturingLogger } from '../helpers/fakes.ts';

let silent: Server;
const sockets: Socket[] = [];
const saved = { ...process.env };

beforeAll(async () => {
  silent = createServer((socket) => { sockets.push(socket); socket.resume(); });
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  const endpoint = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;
  Object.assign(process.env, {
    AWS_ENDPOINT_URL_DYNAMODB: endpoint, AWS_ENDPOINT_URL_SES: endpoint, AWS_ENDPOINT_URL_KMS: endpoint,
    AWS_ACCESS_KEY_ID: 'local', AWS_SECRET_ACCESS_KEY: 'local',
    // One attempt each, so the test waits one timeout, not the SDK's retries of it.
    AWS_MAX_ATTEMPTS: '1',
  });
});
afterAll(async () => {
  process.env = saved;
  sockets.forEach((s) => s.destroy());
  await new Promise((resolve) => silent.close(resolve));
});

const config: Config = {
  tableName: 'sealpost-test', portalOrigin: 'http://localhost:3000', region: 'us-east-1', webDir: 'dist/web', logLevel: 'error',
  kmsKeyId: 'alias/sealpost', webhooksAllowLocal: false, maxUploadBytes: 40 * 1024 * 1024,
};

describe('the SDK clients of the composition', () => {
  it('give up on a dependency that never answers after the request timeout, with a TimeoutError', async () => {
    const clients: SdkClient[] = [];
    const seen = (client: SdkClient) => { clients.push(client); };
    const { dynamo } = composeStorage(config, seen);
    // KMS and SES are built on first use (on-first-call.ts): build them now, as a first call would.
    await kmsKeyWrapper(config, seen);
    await sesNotifier(config, new CapturingLogger(), seen);
    const [, kms, ses] = clients as [unknown, KMSClient, SESClient];
    const started = Date.now();
    // And through the composition, as the entries build it: the first call builds the client, which the hook sees.
    const wrapped = composeKeys(config, seen).wrap(new Uint8Array(32), { purpose: 'test' });

    const outcomes = await Promise.all([
      dynamo.send(new GetItemCommand({ TableName: config.tableName, Key: { pk: { S: 'a' }, sk: { S: 'b' } } })),
      kms.send(new EncryptCommand({ KeyId: config.kmsKeyId, Plaintext: new Uint8Array(32) })),
      ses.send(new SendRawEmailCommand({ RawMessage: { Data: new TextEncoder().encode('From: a@example.com\r\nTo: b@example.com\r\nSubject: s\r\n\r\nt') } })),
      wrapped,
    ].map((call: Promise<unknown>) => call.then(() => 'answered', (error: { name?: string }) => error.name)));

    expect(clients).toHaveLength(4);
    expect(clients[3]?.constructor.name).toBe('KMSClient');
    // The key wrapper says which dependency failed (DependencyError), after the same timeout.
    expect(outcomes).toEqual(['TimeoutError', 'TimeoutError', 'TimeoutError', 'DependencyError']);
    expect(Date.now() - started).toBeLessThan(SDK_TIMEOUTS.requestTimeout + 1_500);
  });
});
