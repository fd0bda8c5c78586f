import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DescribeKeyCommand, GenerateDataKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KmsKeyWrapper } from '../../../functions/adapters/kms/key-wrapper.ts';
import { DependencyError } from '../../../functions/core/shared/index.ts';
import { startKms } from '../../../functions/stand-ins/kms-stand-in.ts';

type Kms = Awaited<ReturnType<typeof startKms>>;

/** A client built as the entries build theirs: the endpoint comes from the variable the SDK honours. */
function clientFor(kms: Kms): KMSClient {
  process.env.AWS_ENDPOINT_URL_KMS = kms.endpoint;
  return new KMSClient({ region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
}

async function unwrapError(promise: Promise<unknown>): Promise<DependencyError> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(DependencyError);
  return error as DependencyError;
}

const secret = new TextEncoder().encode('recipient secret 32 bytes long!!');
const contextOf = (messageId: string) => ({ tenantId: 'a', messageId, purpose: 'recipient-secret' });

let kms: Kms;
let client: KMSClient;
beforeAll(async () => {
  kms = await startKms();
  client = clientFor(kms);
});
afterAll(async () => { client.destroy(); await kms.close(); });

describe('KmsKeyWrapper', () => {
  it('returns the plaintext when unwrapping with the context it was wrapped with', async () => {
    const wrapper = new KmsKeyWrapper(client, kms.keyId);

    const wrapped = await wrapper.wrap(secret, contextOf('m1'));
    const unwrapped = await wrapper.unwrap(wrapped, contextOf('m1'));

    expect(Buffer.from(wrapped).includes(Buffer.from(secret))).toBe(false);
    expect(Buffer.from(unwrapped)).toEqual(Buffer.from(secret));
  });

  it('throws a dependency error that names no secret when the context is wrong', async () => {
    const wrapper = new KmsKeyWrapper(client, kms.keyId);
    const wrapped = await wrapper.wrap(secret, contextOf('m1'));

    const error = await unwrapError(wrapper.unwrap(wrapped, { ...contextOf('m1'), tenantId: 'b' }));

    expect(error.kind).toBe('dependency');
    expect(error.dependency).toBe('kms');
    expect(error.detail).toMatch(/does not belong to this object/);
    expect(error.detail).not.toContain('recipient secret');
  });

  it('refuses a wrapped value when it is swapped between two messages', async () => {
    const wrapper = new KmsKeyWrapper(client, kms.keyId);
    const first = await wrapper.wrap(secret, contextOf('m1'));
    const second = await wrapper.wrap(new TextEncoder().encode('another secret'), contextOf('m2'));

    const errors = await Promise.all([unwrapError(wrapper.unwrap(first, contextOf('m2'))), unwrapError(wrapper.unwrap(second, contextOf('m1')))]);

    expect(errors.map((e) => e.kind)).toEqual(['dependency', 'dependency']);
  });

  it('throws a dependency error when a byte of the wrapped value is flipped', async () => {
    const wrapper = new KmsKeyWrapper(client, kms.keyId);
    const wrapped = await wrapper.wrap(secret, contextOf('m1'));
    const tampered = Uint8Array.from(wrapped);
    tampered[tampered.length - 20]! ^= 0x01;

    const error = await unwrapError(wrapper.unwrap(tampered, contextOf('m1')));

    expect(error.detail).toMatch(/does not belong to this object/);
  });

  it('unwraps with the key ARN when the value was wrapped through the alias', async () => {
    const wrapped = await new KmsKeyWrapper(client, 'alias/sealpost').wrap(secret, contextOf('m1'));

    const unwrapped = await new KmsKeyWrapper(client, `arn:aws:kms:us-east-1:000000000000:key/${kms.keyId}`).unwrap(wrapped, contextOf('m1'));

    expect(Buffer.from(unwrapped)).toEqual(Buffer.from(secret));
  });

  it('throws a dependency error when the configured key does not exist', async () => {
    const wrapper = new KmsKeyWrapper(client, '00000000-0000-4000-8000-000000000000');

    const error = await unwrapError(wrapper.wrap(secret, contextOf('m1')));

    expect(error.cause).toMatchObject({ name: 'NotFoundException' });
  });

  it('refuses to unwrap when the configured key is not the key that wrapped the value', async () => {
    const wrapped = await new KmsKeyWrapper(client, kms.keyId).wrap(secret, contextOf('m1'));

    const error = await unwrapError(new KmsKeyWrapper(client, '00000000-0000-4000-8000-000000000000').unwrap(wrapped, contextOf('m1')));

    expect(error.cause).toMatchObject({ name: 'NotFoundException' });
  });
});

describe('local KMS stand-in', () => {
  it('keeps its key material in a 0600 file when restarted with the same data directory', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'sealpost-kms-'));
    try {
      const before = await startKms({ dataDir });
      const beforeClient = clientFor(before);
      const wrapped = await new KmsKeyWrapper(beforeClient, before.keyId).wrap(secret, contextOf('m1'));
      beforeClient.destroy();
      await before.close();

      const after = await startKms({ dataDir });
      const afterClient = clientFor(after);
      const unwrapped = await new KmsKeyWrapper(afterClient, after.keyId).unwrap(wrapped, contextOf('m1')).finally(async () => {
        afterClient.destroy();
        await after.close();
      });

      expect(Buffer.from(unwrapped)).toEqual(Buffer.from(secret));
      expect((await stat(join(dataDir, 'kms-keys.json'))).mode & 0o777).toBe(0o600);
    } finally {
      process.env.AWS_ENDPOINT_URL_KMS = kms.endpoint;
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it('answers GenerateDataKey with a key of the asked size whose ciphertext decrypts to it when called through the SDK', async () => {
    const context = contextOf('m1');

    const dataKey = await client.send(new GenerateDataKeyCommand({ KeyId: 'alias/sealpost', KeySpec: 'AES_256', EncryptionContext: context }));
    const short = await client.send(new GenerateDataKeyCommand({ KeyId: kms.keyId, NumberOfBytes: 7 }));
    const unwrapped = await new KmsKeyWrapper(client, kms.keyId).unwrap(dataKey.CiphertextBlob!, context);

    expect(dataKey.Plaintext).toHaveLength(32);
    expect(short.Plaintext).toHaveLength(7);
    expect(dataKey.KeyId).toBe(`arn:aws:kms:us-east-1:000000000000:key/${kms.keyId}`);
    expect(Buffer.from(unwrapped)).toEqual(Buffer.from(dataKey.Plaintext!));
  });

  it('describes the key when asked by alias through the SDK', async () => {
    const { KeyMetadata } = await client.send(new DescribeKeyCommand({ KeyId: 'alias/sealpost' }));

    expect(KeyMetadata).toMatchObject({ KeyId: kms.keyId, Arn: `arn:aws:kms:us-east-1:000000000000:key/${kms.keyId}`, Enabled: true, KeyState: 'Enabled', KeyUsage: 'ENCRYPT_DECRYPT' });
    expect(KeyMetadata?.CreationDate).toBeInstanceOf(Date);
  });

  it('answers 400 UnknownOperationException when the target is not a supported operation', async () => {
    const response = await fetch(kms.endpoint, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-amz-json-1.1', 'X-Amz-Target': 'TrentService.ScheduleKeyDeletion' },
      body: JSON.stringify({ KeyId: kms.keyId }),
    });

    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toBe('application/x-amz-json-1.1');
    expect(await response.json()).toMatchObject({ __type: 'UnknownOperationException' });
  });
});
