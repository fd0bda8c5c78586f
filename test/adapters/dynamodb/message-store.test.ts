import { PutItemCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { CHUNK_BYTES, CHUNKS_PER_PART, DynamoDbMessageStore } from '../../../functions/adapters/dynamodb/message-store.ts';
import { DynamoDbEventLog } from '../../../functions/adapters/dynamodb/event-log.ts';
import { DependencyError } from '../../../functions/core/shared/index.ts';
import type { MessageHead, NewMessageHead } from '../../../functions/core/messages/index.ts';
import { startTestTable } from '../../helpers/dynamo.ts';
import { AN_UNRECORDED_OPEN, aNewHead } from '../../helpers/builders.ts';

let env: Awaited<ReturnType<typeof startTestTable>>;
let store: DynamoDbMessageStore;
beforeAll(async () => {
  env = await startTestTable();
  store = new DynamoDbMessageStore(env.client, env.tableName);
});
afterAll(() => env.close());

async function readAll(head: MessageHead): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for (let i = 0; i < store.partCount(head); i++) parts.push(await store.readPart(head, i));
  return new Uint8Array(Buffer.concat(parts));
}

/** A head with two recipients (the shared builder's, with Bob in Cc). */
function aHead(overrides: Partial<NewMessageHead> = {}): NewMessageHead {
  return aNewHead({
    recipients: [
      { rid: 'r0', email: 'alice@example.com', kind: 'to', tokenHash: 'h0', status: 'pending', opens: 0 },
      { rid: 'r1', email: 'bob@example.com', kind: 'cc', tokenHash: 'h1', status: 'pending', opens: 0 },
    ],
    ...overrides,
  });
}

describe('DynamoDbMessageStore', () => {
  it('stores a large ciphertext as chunks of at most 300 KB and reads back identical bytes', async () => {
    const head = aHead();
    const ciphertext = new Uint8Array(randomBytes(2 * CHUNK_BYTES + 12_345));

    await store.create(head, ciphertext);

    const stored = await store.getHead(head.id);
    expect(stored).toMatchObject({ id: head.id, chunkCount: 3, ciphertextBytes: ciphertext.length, state: 'active' });
    expect(store.partCount(stored!)).toBe(1);
    expect(await readAll(stored!)).toEqual(ciphertext);
    const { Items } = await env.client.send(new ScanCommand({ TableName: env.tableName }));
    const items = (Items ?? []).filter((i) => i.pk?.S === `MSG#${head.id}`);
    expect(items.map((i) => i.sk?.S).sort()).toEqual(['CHUNK#00000', 'CHUNK#00001', 'CHUNK#00002', 'HEAD']);
    expect(items.every((i) => Number(i.ttl?.N) > Date.parse(head.expiresAt) / 1000 - 1)).toBe(true);
  });

  it('splits a ciphertext of more than 3 MB into pickup parts of at most 10 chunks', async () => {
    const head = aHead();
    const ciphertext = new Uint8Array(randomBytes(CHUNKS_PER_PART * CHUNK_BYTES + 5));

    await store.create(head, ciphertext);

    const stored = (await store.getHead(head.id))!;
    expect(store.partCount(stored)).toBe(2);
    expect((await store.readPart(stored, 0)).length).toBe(CHUNKS_PER_PART * CHUNK_BYTES);
    expect((await store.readPart(stored, 1)).length).toBe(5);
    // Buffer.equals, not a deep toEqual: comparing 3 MB element by element takes vitest many seconds.
    expect(Buffer.from(await readAll(stored)).equals(Buffer.from(ciphertext))).toBe(true);
  });

  it('refuses to overwrite an existing message id', async () => {
    const head = aHead();
    await store.create(head, new Uint8Array([1, 2, 3]));

    await expect(store.create(head, new Uint8Array([4, 5, 6]))).rejects.toBeInstanceOf(DependencyError);

    expect(await readAll((await store.getHead(head.id))!)).toEqual(new Uint8Array([1, 2, 3]));
  });

  it('treats chunks without a head as nonexistent', async () => {
    const id = 'orphan0000000000000000';
    await env.client.send(new PutItemCommand({ TableName: env.tableName, Item: { pk: { S: `MSG#${id}` }, sk: { S: 'CHUNK#00000' }, data: { B: new Uint8Array([1]) } } }));

    expect(await store.getHead(id)).toBeUndefined();
  });

  it('fails to read a ciphertext with a missing chunk', async () => {
    const head = aHead();
    await store.create(head, new Uint8Array(CHUNK_BYTES + 10));
    const stored = (await store.getHead(head.id))!;
    await store.deleteChunks(head.id, 1);

    await expect(store.readPart(stored, 0)).rejects.toThrow(/incomplete/);
  });

  it('records per-recipient delivery in one update', async () => {
    const head = aHead();
    await store.create(head, new Uint8Array([1]));

    await store.recordDelivery(head.id, [
      { rid: 'r0', status: 'notified', at: '2026-11-29T12:00:01.000Z' },
      { rid: 'r1', status: 'failed', reason: 'SES rejected the email.', at: '2026-11-29T12:00:01.000Z' },
    ]);

    const stored = await store.getHead(head.id);
    expect(stored?.recipients[0]).toMatchObject({ status: 'notified', notifiedAt: '2026-11-29T12:00:01.000Z' });
    expect(stored?.recipients[1]).toMatchObject({ status: 'failed', failureReason: 'SES rejected the email.' });
  });

  it('records delivery when every recipient has the same outcome', async () => {
    const head = aHead();
    await store.create(head, new Uint8Array([1]));

    await store.recordDelivery(head.id, [{ rid: 'r1', status: 'notified', at: '2026-11-29T12:00:02.000Z' }]);

    expect((await store.getHead(head.id))?.recipients.map((r) => r.status)).toEqual(['pending', 'notified']);
  });

  it('counts opens only while the message is active and unexpired, and tells the first open of each window', async () => {
    const head = aHead({ expiresAt: '2026-12-01T00:00:00.000Z' });
    await store.create(head, new Uint8Array([1]));

    expect(await store.recordOpen(head.id, 'r1', new Date('2026-11-30T00:00:00Z'), 'w1', undefined, AN_UNRECORDED_OPEN)).toEqual({ newWindow: true, views: 1 });
    expect(await store.recordOpen(head.id, 'r1', new Date('2026-11-30T00:10:00Z'), 'w1', undefined, AN_UNRECORDED_OPEN)).toEqual({ newWindow: false, views: 2 });
    expect(await store.recordOpen(head.id, 'r1', new Date('2026-11-30T01:00:00Z'), 'w2', undefined, AN_UNRECORDED_OPEN)).toEqual({ newWindow: true, views: 3 });
    expect(await store.recordOpen(head.id, 'r0', new Date('2026-11-30T01:00:00Z'), 'w2', undefined, AN_UNRECORDED_OPEN)).toEqual({ newWindow: true, views: 1 });
    expect(await store.recordOpen(head.id, 'r1', new Date('2026-12-01T00:00:00Z'), 'w3', undefined, AN_UNRECORDED_OPEN)).toBeUndefined();
    expect(await store.recordOpen('nosuchmessage000000000', 'r0', new Date('2026-11-30T00:00:00Z'), 'w1', undefined, AN_UNRECORDED_OPEN)).toBeUndefined();

    const stored = await store.getHead(head.id);
    expect(stored?.recipients[1]).toMatchObject({ opens: 3, firstOpenedAt: '2026-11-30T00:00:00.000Z', lastOpenWindow: 'w2' });
    expect(stored?.recipients[0]?.opens).toBe(1);
  });

  it('revokes only for the owning tenant, deletes the chunks on request, and refuses opens afterwards', async () => {
    const head = aHead();
    await store.create(head, new Uint8Array(CHUNK_BYTES * 2));

    expect(await store.revoke('other', head.id, new Date('2026-11-30T00:00:00Z'))).toBeUndefined();
    expect(await store.revoke('acme', head.id, new Date('2026-11-30T00:00:00Z'))).toEqual({ chunkCount: 2 });
    await store.deleteChunks(head.id, 2);

    const stored = await store.getHead(head.id);
    expect(stored).toMatchObject({ state: 'revoked', revokedAt: '2026-11-30T00:00:00.000Z' });
    const { Items } = await env.client.send(new ScanCommand({ TableName: env.tableName }));
    expect((Items ?? []).filter((i) => i.pk?.S === `MSG#${head.id}` && i.sk?.S?.startsWith('CHUNK#'))).toHaveLength(0);
    expect(await store.recordOpen(head.id, 'r0', new Date('2026-11-30T00:00:01Z'), 'w1', undefined, AN_UNRECORDED_OPEN)).toBeUndefined();
  });

  it('lets exactly one of 20 parallel revokes win (a single conditional write)', async () => {
    const head = aHead();
    await store.create(head, new Uint8Array([1]));

    const results = await Promise.all(Array.from({ length: 20 }, () => store.revoke('acme', head.id, new Date())));

    expect(results.filter(Boolean)).toHaveLength(1);
  });
});

describe('DynamoDbEventLog', () => {
  it('appends more than one batch of events and lists them in time order', async () => {
    const log = new DynamoDbEventLog(env.client, env.tableName, (n) => new Uint8Array(randomBytes(n)));
    const events = Array.from({ length: 30 }, (_, i) => ({
      messageId: 'events0000000000000000', tenantId: 'acme', type: 'notified' as const,
      at: new Date(Date.UTC(2026, 10, 29, 12, 0, i)).toISOString(), actor: 'system', recipient: `r${i}@example.com`,
    }));

    await log.append([...events].reverse());

    const listed = await log.listForMessage('events0000000000000000');
    expect(listed.map((e) => e.recipient)).toEqual(events.map((e) => e.recipient));
    expect(listed[0]).toMatchObject(events[0] as object);
    expect(listed[0]?.eventId).toMatch(/^ev_[A-Za-z0-9_-]{12}$/);
  });

  it('stores an event with an id once, however often it is appended', async () => {
    const log = new DynamoDbEventLog(env.client, env.tableName, (n) => new Uint8Array(randomBytes(n)));
    const event = { messageId: 'redelivered00000000000', tenantId: 'acme', type: 'bounced' as const, at: '2026-11-29T12:00:05.000Z', actor: 'mail-service', id: 'bounced:r0' };

    await log.append([event]);
    await log.append([event]);
    await log.append([{ ...event, id: undefined }, { ...event, id: undefined }]);

    expect(await log.listForMessage('redelivered00000000000')).toHaveLength(3);
  });

  it('lists events of the same millisecond in lifecycle order', async () => {
    const log = new DynamoDbEventLog(env.client, env.tableName, (n) => new Uint8Array(randomBytes(n)));
    const at = '2026-11-29T12:00:00.000Z';
    const base = { messageId: 'samemillisecond0000000', tenantId: 'acme', at, actor: 'system' };

    await log.append([{ ...base, type: 'opened' }, { ...base, type: 'notified' }, { ...base, type: 'revoked' }, { ...base, type: 'created' }]);

    expect((await log.listForMessage('samemillisecond0000000')).map((e) => e.type)).toEqual(['created', 'notified', 'opened', 'revoked']);
  });
});
