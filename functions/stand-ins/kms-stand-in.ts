/**
 * A local KMS endpoint for `npm start` and the tests, speaking the KMS JSON 1.1 protocol (Encrypt,
 * Decrypt, GenerateDataKey, DescribeKey) so that the real SDK and our adapter run unchanged.
 *
 * This is a development stand-in, not a security boundary: it does not check request signatures,
 * anyone who can reach 127.0.0.1 can use it, and its key material sits in a plain file
 * (`<dataDir>/kms-keys.json`, mode 0600) or in memory. Never point anything real at it.
 *
 * Its ciphertext is our own format: version byte, key id (36 ASCII bytes), 12-byte IV, AES-256-GCM
 * ciphertext and 16-byte tag. The encryption context (keys sorted) is the GCM additional data, so a
 * value decrypts only with the exact context it was encrypted with — as with real KMS.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { StandIn } from './stand-ins.ts';

export const LOCAL_KMS_KEY_ID = '5ea1f057-0000-4000-8000-00000000c0de';
export const LOCAL_KMS_ALIAS = 'alias/sealpost';
const ARN_PREFIX = 'arn:aws:kms:us-east-1:000000000000:';
const VERSION = 1;
const ID_LENGTH = LOCAL_KMS_KEY_ID.length;
const MAX_BODY_BYTES = 1024 * 1024;

class KmsFault extends Error {
  constructor(readonly type: string, message: string) {
    super(message);
  }
}

interface StoredKeys {
  keys: Record<string, { material: string; created: number }>;
}

async function loadKeys(dataDir: string | undefined): Promise<StoredKeys> {
  const fresh = (): StoredKeys => ({ keys: { [LOCAL_KMS_KEY_ID]: { material: randomBytes(32).toString('base64'), created: Math.floor(Date.now() / 1000) } } });
  if (!dataDir) return fresh();
  const file = join(dataDir, 'kms-keys.json');
  try {
    return JSON.parse(await readFile(file, 'utf8')) as StoredKeys;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const keys = fresh();
  await mkdir(dataDir, { recursive: true });
  // 'wx': never overwrite key material another process wrote meanwhile (that would orphan its ciphertexts).
  await writeFile(file, JSON.stringify(keys, null, 2), { mode: 0o600, flag: 'wx' });
  return keys;
}

function blob(body: Record<string, unknown>, field: string, required: boolean): Buffer | undefined {
  const value = body[field];
  if (value === undefined && !required) return undefined;
  if (typeof value !== 'string' || value.length === 0) throw new KmsFault('ValidationException', `${field} must be a non-empty base64 blob.`);
  return Buffer.from(value, 'base64');
}

/** The context as GCM additional data: sorted keys, so the order a caller lists them in does not matter. */
function contextBytes(body: Record<string, unknown>): Buffer {
  const context = body.EncryptionContext ?? {};
  if (typeof context !== 'object' || context === null || Array.isArray(context) || Object.values(context).some((v) => typeof v !== 'string')) {
    throw new KmsFault('ValidationException', 'EncryptionContext must map strings to strings.');
  }
  return Buffer.from(JSON.stringify(Object.entries(context).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))), 'utf8');
}

function createKms(store: StoredKeys) {
  const arn = (id: string) => `${ARN_PREFIX}key/${id}`;
  const known = (id: string) => Object.hasOwn(store.keys, id);
  // Accepted as KMS accepts them: <uuid>, alias/<name>, and the ARN forms …:key/<uuid> and …:alias/<name>.
  const resolve = (keyId: unknown): string => {
    if (typeof keyId !== 'string' || keyId.length === 0) throw new KmsFault('ValidationException', 'KeyId is required.');
    const name = keyId.startsWith(`${ARN_PREFIX}key/`) ? keyId.slice(ARN_PREFIX.length + 4) : keyId.startsWith(`${ARN_PREFIX}alias/`) ? keyId.slice(ARN_PREFIX.length) : keyId;
    const id = name === LOCAL_KMS_ALIAS ? LOCAL_KMS_KEY_ID : name;
    if (!known(id)) throw new KmsFault('NotFoundException', `Key '${keyId}' does not exist`);
    return id;
  };
  const material = (id: string) => Buffer.from(store.keys[id]!.material, 'base64');

  const encrypt = (id: string, plaintext: Buffer, aad: Buffer): Buffer => {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', material(id), iv).setAAD(aad);
    const sealed = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    return Buffer.concat([Buffer.from([VERSION]), Buffer.from(id, 'ascii'), iv, sealed, cipher.getAuthTag()]);
  };

  const operations: Record<string, (body: Record<string, unknown>) => Record<string, unknown>> = {
    Encrypt(body) {
      const id = resolve(body.KeyId);
      const plaintext = blob(body, 'Plaintext', true)!;
      if (plaintext.length > 4096) throw new KmsFault('ValidationException', 'Plaintext must be at most 4096 bytes.');
      return { CiphertextBlob: encrypt(id, plaintext, contextBytes(body)).toString('base64'), KeyId: arn(id), EncryptionAlgorithm: 'SYMMETRIC_DEFAULT' };
    },
    Decrypt(body) {
      const ciphertext = blob(body, 'CiphertextBlob', true)!;
      const aad = contextBytes(body);
      const id = ciphertext.subarray(1, 1 + ID_LENGTH).toString('ascii');
      if (ciphertext[0] !== VERSION || ciphertext.length < 1 + ID_LENGTH + 12 + 16 || !known(id)) {
        throw new KmsFault('InvalidCiphertextException', 'The ciphertext is invalid.');
      }
      if (body.KeyId !== undefined && resolve(body.KeyId) !== id) {
        throw new KmsFault('IncorrectKeyException', 'The key ID in the request does not identify the key that encrypted the ciphertext.');
      }
      const iv = ciphertext.subarray(1 + ID_LENGTH, 13 + ID_LENGTH);
      const decipher = createDecipheriv('aes-256-gcm', material(id), iv).setAAD(aad);
      decipher.setAuthTag(ciphertext.subarray(-16));
      try {
        const plaintext = Buffer.concat([decipher.update(ciphertext.subarray(13 + ID_LENGTH, -16)), decipher.final()]);
        return { KeyId: arn(id), Plaintext: plaintext.toString('base64'), EncryptionAlgorithm: 'SYMMETRIC_DEFAULT' };
      } catch {
        // Like KMS, one answer for a tampered value and a wrong context: neither is told apart.
        throw new KmsFault('InvalidCiphertextException', 'The ciphertext is invalid.');
      }
    },
    GenerateDataKey(body) {
      const id = resolve(body.KeyId);
      const { NumberOfBytes: count, KeySpec: spec } = body;
      if ((count === undefined) === (spec === undefined)) throw new KmsFault('ValidationException', 'Specify exactly one of NumberOfBytes or KeySpec.');
      const length = spec === 'AES_256' ? 32 : spec === 'AES_128' ? 16 : spec === undefined && Number.isInteger(count) ? (count as number) : 0;
      if (length < 1 || length > 1024) throw new KmsFault('ValidationException', 'KeySpec must be AES_256 or AES_128; NumberOfBytes 1 to 1024.');
      const plaintext = randomBytes(length);
      return { KeyId: arn(id), Plaintext: plaintext.toString('base64'), CiphertextBlob: encrypt(id, plaintext, contextBytes(body)).toString('base64') };
    },
    DescribeKey(body) {
      const id = resolve(body.KeyId);
      return {
        KeyMetadata: {
          AWSAccountId: '000000000000', KeyId: id, Arn: arn(id), CreationDate: store.keys[id]!.created, Enabled: true,
          Description: 'sealpost local development key', KeyUsage: 'ENCRYPT_DECRYPT', KeyState: 'Enabled', Origin: 'AWS_KMS',
          KeyManager: 'CUSTOMER', KeySpec: 'SYMMETRIC_DEFAULT', CustomerMasterKeySpec: 'SYMMETRIC_DEFAULT',
          EncryptionAlgorithms: ['SYMMETRIC_DEFAULT'], MultiRegion: false,
        },
      };
    },
  };
  return operations;
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) reject(new KmsFault('ValidationException', 'The request body is too large.'));
      else chunks.push(chunk);
    });
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

function reply(response: ServerResponse, status: number, body: unknown): void {
  // The SDK picks its deserializer by protocol, but reads the error name from `__type`.
  response.writeHead(status, { 'Content-Type': 'application/x-amz-json-1.1', 'x-amzn-RequestId': randomBytes(16).toString('hex') });
  response.end(JSON.stringify(body));
}

/** The local KMS on 127.0.0.1; key material kept in `<dataDir>/kms-keys.json` when given, in memory otherwise. Port 0 picks a free port. */
export async function startKms(options: { port?: number; dataDir?: string } = {}): Promise<StandIn & { keyId: string }> {
  const operations = createKms(await loadKeys(options.dataDir));
  const server = createServer(async (request, response) => {
    try {
      const target = String(request.headers['x-amz-target'] ?? '');
      const operation = target.startsWith('TrentService.') ? operations[target.slice('TrentService.'.length)] : undefined;
      const text = await readBody(request);
      if (request.method !== 'POST' || !operation) throw new KmsFault('UnknownOperationException', `Unknown operation '${target}'.`);
      let body: unknown;
      try {
        body = JSON.parse(text || '{}');
      } catch {
        throw new KmsFault('SerializationException', 'The request body is not valid JSON.');
      }
      if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new KmsFault('SerializationException', 'The request body must be a JSON object.');
      reply(response, 200, operation(body as Record<string, unknown>));
    } catch (error) {
      if (error instanceof KmsFault) reply(response, 400, { __type: error.type, message: error.message });
      else reply(response, 500, { __type: 'KMSInternalException', message: 'The local KMS failed.' });
    }
  });
  const port = await new Promise<number>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
  const close = () => new Promise<void>((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });
  return { endpoint: `http://127.0.0.1:${port}`, port, keyId: LOCAL_KMS_KEY_ID, close };
}
