/**
 * The upload store on dynalite: every change is one conditional write on the tenant's own, open,
 * unexpired upload; a claim whose answer was lost is still recognised as this request's own.
 */
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDbUploadStore } from '../../../functions/adapters/dynamodb/upload-store.ts';
import { UPLOAD_CLAIM_LEASE_MS, type UploadRecord } from '../../../functions/core/messages/index.ts';
import { FaultInjector } from '../../helpers/fault-injector.ts';
import { faultyClient, loseAnswer, startTestTable } from '../../helpers/dynamo.ts';

let env: Awaited<ReturnType<typeof startTestTable>>;
let store: DynamoDbUploadStore;
const injector = new FaultInjector();
let faulty: DynamoDbUploadStore;
beforeAll(async () => {
  env = await startTestTable();
  store = new DynamoDbUploadStore(env.client, env.tableName);
  faulty = new DynamoDbUploadStore(faultyClient(injector), env.tableName);
});
afterAll(() => env.close());

const NOW = new Date('2026-11-29T12:00:00.000Z');
const SHA = 'q'.repeat(43) + '=';
let ids = 0;

function anUpload(overrides: Partial<UploadRecord> = {}): UploadRecord {
  return {
    id: `upload${String(++ids).padStart(16, '0')}`, tenantId: 'acme', createdAt: NOW.toISOString(),
    expiresAt: '2026-11-30T00:00:00.000Z', recipients: 2, state: 'open', ...overrides,
  };
}

async function aStoredUpload(overrides: Partial<UploadRecord> = {}): Promise<UploadRecord> {
  const upload = anUpload(overrides);
  expect(await store.create(upload)).toBe(true);
  return upload;
}

const later = (ms: number) => new Date(NOW.getTime() + ms);
const stateOf = async (id: string) => (await store.get(id))?.state;

describe('DynamoDbUploadStore', () => {
  describe('create and get', () => {
    it('stores an upload once and reads it back as it was given, Message Center fields included', async () => {
      const upload = anUpload({ wrappedCustodyKey: new Uint8Array([1, 2, 3, 250]), custodyPasswordHash: 'h'.repeat(43) });

      const created = await store.create(upload);
      const again = await store.create({ ...upload, tenantId: 'other' });

      expect(created).toBe(true);
      expect(again).toBe(false);
      const stored = await store.get(upload.id);
      expect(stored).toEqual(upload);
      expect(stored?.wrappedCustodyKey).toBeInstanceOf(Uint8Array);
    });

    it('answers nothing for an unknown id', async () => {
      expect(await store.get('no-such-upload')).toBeUndefined();
    });

    it('lets the table forget the item two days after the upload expires', async () => {
      const upload = await aStoredUpload();

      const { Item } = await env.client.send(new GetItemCommand({ TableName: env.tableName, Key: { pk: { S: `MSG#${upload.id}` }, sk: { S: 'UPLOAD' } } }));

      expect(Number(Item?.ttl?.N)).toBe(Date.parse('2026-12-02T00:00:00.000Z') / 1000);
    });
  });

  describe('declare', () => {
    it('fixes the size and checksum once: the same values again hold, others do not', async () => {
      const upload = await aStoredUpload();

      expect(await store.declare('acme', upload.id, 5000, SHA, NOW)).toBe(true);
      expect(await store.declare('acme', upload.id, 5000, SHA, NOW)).toBe(true);
      expect(await store.declare('acme', upload.id, 5001, SHA, NOW)).toBe(false);
      expect(await store.declare('acme', upload.id, 5000, 'r'.repeat(43) + '=', NOW)).toBe(false);
      expect(await store.get(upload.id)).toMatchObject({ bytes: 5000, sha256: SHA });
    });

    it('declares only the tenant\'s own open, unexpired upload', async () => {
      const upload = await aStoredUpload();
      const claimed = await aStoredUpload();
      await store.claim('acme', claimed.id, NOW);

      expect(await store.declare('other', upload.id, 5000, SHA, NOW)).toBe(false);
      expect(await store.declare('acme', upload.id, 5000, SHA, new Date(upload.expiresAt))).toBe(false);
      expect(await store.declare('acme', claimed.id, 5000, SHA, NOW)).toBe(false);
      expect(await store.declare('acme', 'no-such-upload', 5000, SHA, NOW)).toBe(false);
      expect((await store.get(upload.id))?.bytes).toBeUndefined();
    });
  });

  describe('claim, release and finish', () => {
    it('claims an open upload once', async () => {
      const upload = await aStoredUpload();

      expect(await store.claim('acme', upload.id, NOW)).toBe(true);
      expect(await store.claim('acme', upload.id, NOW)).toBe(false);
      expect(await store.get(upload.id)).toEqual({ ...upload, state: 'completing', claimedAt: NOW.toISOString() });
    });

    it('claims only the tenant\'s own, unexpired, existing upload', async () => {
      const upload = await aStoredUpload();

      expect(await store.claim('other', upload.id, NOW)).toBe(false);
      expect(await store.claim('acme', upload.id, new Date(upload.expiresAt))).toBe(false);
      expect(await store.claim('acme', 'no-such-upload', NOW)).toBe(false);
      expect(await stateOf(upload.id)).toBe('open');
      expect(await store.get('no-such-upload')).toBeUndefined();
    });

    it('lets exactly one of 10 concurrent claims win', async () => {
      const upload = await aStoredUpload();

      const claims = await Promise.all(Array.from({ length: 10 }, () => store.claim('acme', upload.id, NOW)));

      expect(claims.filter(Boolean)).toHaveLength(1);
    });

    it('gives a released upload back for another claim', async () => {
      const upload = await aStoredUpload();
      await store.claim('acme', upload.id, NOW);

      await store.release('other', upload.id);
      expect(await stateOf(upload.id)).toBe('completing');
      await store.release('acme', upload.id);

      expect(await stateOf(upload.id)).toBe('open');
      expect(await store.claim('acme', upload.id, NOW)).toBe(true);
    });

    it('lets a claim older than the lease (its request died) be taken over, and not a fresher one', async () => {
      const upload = await aStoredUpload();
      await store.claim('acme', upload.id, NOW);

      const atTheLease = await store.claim('acme', upload.id, later(UPLOAD_CLAIM_LEASE_MS));
      const pastIt = await store.claim('acme', upload.id, later(UPLOAD_CLAIM_LEASE_MS + 1));
      const rightAfter = await store.claim('acme', upload.id, later(UPLOAD_CLAIM_LEASE_MS + 2000));

      expect(atTheLease).toBe(false);
      expect(pastIt).toBe(true);
      expect(rightAfter).toBe(false);
      expect(await store.get(upload.id)).toMatchObject({ state: 'completing', claimedAt: later(UPLOAD_CLAIM_LEASE_MS + 1).toISOString() });
    });

    it('takes over only the tenant\'s own, unexpired upload', async () => {
      const upload = await aStoredUpload({ expiresAt: later(90_000).toISOString() });
      await store.claim('acme', upload.id, NOW);

      expect(await store.claim('other', upload.id, later(61_000))).toBe(false);
      expect(await store.claim('acme', upload.id, later(90_000))).toBe(false);
      expect(await store.get(upload.id)).toMatchObject({ state: 'completing', claimedAt: NOW.toISOString() });
    });

    it('lets exactly one of 10 concurrent takeovers of a stale claim win', async () => {
      const upload = await aStoredUpload();
      await store.claim('acme', upload.id, NOW);

      const claims = await Promise.all(Array.from({ length: 10 }, () => store.claim('acme', upload.id, later(61_000))));

      expect(claims.filter(Boolean)).toHaveLength(1);
    });

    it('takes over a claim recorded without a time (before claims had one)', async () => {
      const upload = await aStoredUpload({ state: 'completing' });

      expect(await store.claim('acme', upload.id, NOW)).toBe(true);
      expect((await store.get(upload.id))?.claimedAt).toBe(NOW.toISOString());
    });

    it('forgets the claim\'s time when the upload is released or finished', async () => {
      const released = await aStoredUpload();
      const finished = await aStoredUpload();
      await store.claim('acme', released.id, NOW);
      await store.claim('acme', finished.id, NOW);

      await store.release('acme', released.id);
      await store.finish('acme', finished.id);

      expect(await store.get(released.id)).toEqual(released);
      expect(await store.get(finished.id)).toEqual({ ...finished, state: 'committed' });
      expect(await store.claim('acme', finished.id, later(120_000))).toBe(false);
    });

    it('records a finished upload as committed, for good', async () => {
      const upload = await aStoredUpload();
      await store.claim('acme', upload.id, NOW);

      await store.finish('acme', upload.id);
      await store.release('acme', upload.id);

      expect(await stateOf(upload.id)).toBe('committed');
      expect(await store.claim('acme', upload.id, NOW)).toBe(false);
      expect(await store.abort('acme', upload.id)).toBe(false);
    });
  });

  describe('abort', () => {
    it('forgets the tenant\'s own open upload, once', async () => {
      const upload = await aStoredUpload();

      expect(await store.abort('other', upload.id)).toBe(false);
      expect(await store.abort('acme', upload.id)).toBe(true);
      expect(await store.abort('acme', upload.id)).toBe(false);
      expect(await store.get(upload.id)).toBeUndefined();
    });

    it('does not forget an upload being completed', async () => {
      const upload = await aStoredUpload();
      await store.claim('acme', upload.id, NOW);

      expect(await store.abort('acme', upload.id)).toBe(false);
      expect(await stateOf(upload.id)).toBe('completing');
    });
  });

  describe('when an answer is lost', () => {
    it.each(['applied-then-retried', 'applied-then-lost'] as const)('counts a claim whose answer was lost as this request\'s claim (%s)', async (kind) => {
      const upload = await aStoredUpload();
      loseAnswer(injector, 'UpdateItem', 'MSG#/UPLOAD', kind);

      const claimed = await faulty.claim('acme', upload.id, NOW);

      expect(injector.fired).toBeGreaterThan(0);
      expect(claimed).toBe(true);
      expect(await stateOf(upload.id)).toBe('completing');
      expect(await store.claim('acme', upload.id, NOW)).toBe(false);
    });

    it('does not count another request\'s claim as its own when its answer was lost', async () => {
      const upload = await aStoredUpload();
      expect(await store.claim('acme', upload.id, NOW)).toBe(true);
      loseAnswer(injector, 'UpdateItem', 'MSG#/UPLOAD', 'applied-then-retried');

      const claimed = await faulty.claim('acme', upload.id, NOW);

      expect(injector.fired).toBeGreaterThan(0);
      expect(claimed).toBe(false);
    });

    it('counts an abort whose answer was lost as done', async () => {
      const upload = await aStoredUpload();
      loseAnswer(injector, 'DeleteItem', 'MSG#/UPLOAD', 'applied-then-retried');

      const aborted = await faulty.abort('acme', upload.id);

      expect(injector.fired).toBeGreaterThan(0);
      expect(aborted).toBe(true);
      expect(await store.get(upload.id)).toBeUndefined();
    });

    it('holds a declaration whose answer was lost', async () => {
      const upload = await aStoredUpload();
      loseAnswer(injector, 'UpdateItem', 'MSG#/UPLOAD', 'applied-then-retried');

      const declared = await faulty.declare('acme', upload.id, 5000, SHA, NOW);

      expect(injector.fired).toBeGreaterThan(0);
      expect(declared).toBe(true);
      expect(await store.get(upload.id)).toMatchObject({ bytes: 5000, sha256: SHA });
    });
  });
});
