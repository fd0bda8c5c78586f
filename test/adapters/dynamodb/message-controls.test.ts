/** The message store's sender controls and sweeps, and the tenant feed of the event log, on dynalite. */
import { GetItemCommand, QueryCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { CHUNK_BYTES, DynamoDbMessageStore } from '../../../functions/adapters/dynamodb/message-store.ts';
import { DynamoDbEventLog } from '../../../functions/adapters/dynamodb/event-log.ts';
import { TTL_ATTRIBUTE, key } from '../../../functions/adapters/dynamodb/table.ts';
import { eventPosition } from '../../../functions/core/audit/index.ts';
import type { NewMessageHead } from '../../../functions/core/messages/index.ts';
import { startTestTable } from '../../helpers/dynamo.ts';
import { AN_UNRECORDED_OPEN } from '../../helpers/builders.ts';

let env: Awaited<ReturnType<typeof startTestTable>>;
let store: DynamoDbMessageStore;
beforeAll(async () => {
  env = await startTestTable();
  store = new DynamoDbMessageStore(env.client, env.tableName);
});
afterAll(() => env.close());

let counter = 0;
function aHead(overrides: Partial<NewMessageHead> = {}): NewMessageHead {
  counter++;
  return {
    id: `ctl${String(counter).padStart(19, '0')}`,
    tenantId: 'acme',
    createdAt: `2026-11-29T12:00:${String(counter % 60).padStart(2, '0')}.000Z`,
    expiresAt: '2026-12-13T12:00:00.000Z',
    state: 'active',
    recipients: [{ rid: 'r0', email: 'alice@example.com', kind: 'to', tokenHash: 'h0', status: 'pending', opens: 0 }],
    ...overrides,
  };
}

async function ttlOf(itemKey: { pk: string; sk: string }): Promise<number> {
  const { Item } = await env.client.send(new GetItemCommand({ TableName: env.tableName, Key: { pk: { S: itemKey.pk }, sk: { S: itemKey.sk } } }));
  return Number(Item?.[TTL_ATTRIBUTE]?.N);
}

describe('DynamoDbMessageStore view limits', () => {
  it('lets exactly one of 20 parallel opens of a maxViews: 1 message through', async () => {
    const head = aHead({ maxViews: 1 });
    await store.create(head, new Uint8Array([1]));
    const now = new Date('2026-11-30T00:00:00Z');

    const results = await Promise.all(Array.from({ length: 20 }, () => store.recordOpen(head.id, 'r0', now, 'w1', 1, AN_UNRECORDED_OPEN)));

    expect(results.filter(Boolean)).toEqual([{ newWindow: true, views: 1 }]);
    expect((await store.getHead(head.id))?.recipients[0]).toMatchObject({ opens: 1, lastOpenedAt: now.toISOString() });
  });
});

describe('DynamoDbMessageStore listing, expiry changes and the expiry sweep', () => {
  it('lists a tenant\'s messages newest first, page by page, and no other tenant\'s', async () => {
    const heads = [aHead({ tenantId: 'lister' }), aHead({ tenantId: 'lister' }), aHead({ tenantId: 'lister' }), aHead({ tenantId: 'not-lister' })];
    for (const head of heads) await store.create(head, new Uint8Array([1]));

    const first = await store.listForTenant('lister', { limit: 2 });
    const second = await store.listForTenant('lister', { limit: 2, ...(first.cursor ? { before: first.cursor } : {}) });

    expect(first.heads.map((h) => h.id)).toEqual([heads[2]?.id, heads[1]?.id]);
    expect(second.heads.map((h) => h.id)).toEqual([heads[0]?.id]);
    expect(second.heads[0]).not.toHaveProperty('gsi1pk');
  });

  it('moves the ciphertext\'s deletion time with an extended or shortened expiry', async () => {
    const head = aHead({ tenantId: 'mover' });
    await store.create(head, new Uint8Array(CHUNK_BYTES + 10));
    const now = new Date('2026-11-30T00:00:00Z');
    const later = new Date('2026-12-20T12:00:00.000Z');
    const sooner = new Date('2026-12-05T12:00:00.000Z');

    expect(await store.setExpiry('someone-else', head.id, later, now)).toBe(false);
    expect(await store.setExpiry('mover', head.id, later, now)).toBe(true);
    expect((await store.getHead(head.id))?.expiresAt).toBe(later.toISOString());
    expect(await ttlOf(key.chunk(head.id, 1))).toBe(later.getTime() / 1000);
    expect(await store.setExpiry('mover', head.id, sooner, now)).toBe(true);
    expect(await ttlOf(key.chunk(head.id, 0))).toBe(sooner.getTime() / 1000);
    expect(await ttlOf(key.head(head.id))).toBeGreaterThan(sooner.getTime() / 1000);
  });

  it('refuses to change the expiry of a revoked or already expired message', async () => {
    const revoked = aHead({ tenantId: 'mover' });
    const expired = aHead({ tenantId: 'mover', expiresAt: '2026-11-29T13:00:00.000Z' });
    await store.create(revoked, new Uint8Array([1]));
    await store.create(expired, new Uint8Array([1]));
    await store.revoke('mover', revoked.id, new Date('2026-11-29T12:30:00Z'));
    const now = new Date('2026-11-30T00:00:00Z');

    expect(await store.setExpiry('mover', revoked.id, new Date('2026-12-20T00:00:00Z'), now)).toBe(false);
    expect(await store.setExpiry('mover', expired.id, new Date('2026-12-20T00:00:00Z'), now)).toBe(false);
  });

  it('finds expired active messages for the sweep and records each expiry once; revoked ones never', async () => {
    const expiring = aHead({ tenantId: 'sweep', expiresAt: '2026-11-29T12:30:00.000Z' });
    const revoked = aHead({ tenantId: 'sweep', expiresAt: '2026-11-29T12:30:00.000Z' });
    const alive = aHead({ tenantId: 'sweep', expiresAt: '2027-01-01T00:00:00.000Z' });
    for (const head of [expiring, revoked, alive]) await store.create(head, new Uint8Array([1]));
    await store.revoke('sweep', revoked.id, new Date('2026-11-29T12:10:00Z'));
    const now = new Date('2026-11-29T13:00:00Z');

    const found = (await store.listNewlyExpired(now, 100)).map((h) => h.id);

    expect(found).toContain(expiring.id);
    expect(found).not.toContain(revoked.id);
    expect(found).not.toContain(alive.id);
    const marks = await Promise.all([store.markExpired(expiring.id, now), store.markExpired(expiring.id, now)]);
    expect(marks.filter(Boolean)).toHaveLength(1);
    expect(await store.markExpired(alive.id, now)).toBe(false);
    expect((await store.listNewlyExpired(now, 100)).map((h) => h.id)).not.toContain(expiring.id);
  });
});

describe('DynamoDbEventLog tenant feed', () => {
  const times = ['2026-11-29T10:00:00.000Z', '2026-11-29T11:00:00.000Z', '2026-11-29T12:00:00.000Z', '2026-11-29T13:00:00.000Z'];

  async function aFeed(tenantId: string) {
    let i = 0;
    const log = new DynamoDbEventLog(env.client, env.tableName, (n) => new Uint8Array(randomBytes(n)), () => new Date(times[Math.min(i++, times.length - 1)] as string));
    await log.append([{ tenantId, messageId: `feed${tenantId.padEnd(18, '0')}`, type: 'created', at: times[0] as string, actor: 'key:k1' }]);
    await log.append([{ tenantId, type: 'settings_changed', at: times[1] as string, actor: 'key:k1', before: { displayName: 'A' }, after: { displayName: 'B' } }]);
    await log.append([{ tenantId, messageId: `feed${tenantId.padEnd(18, '0')}`, type: 'opened', at: times[2] as string, actor: 'recipient:r0' }]);
    await log.append([{ tenantId, type: 'key_created', at: times[3] as string, actor: 'operator', objectId: 'k2' }]);
    await log.append([{ tenantId: `${tenantId}-other`, type: 'key_created', at: times[3] as string, actor: 'operator' }]);
    return log;
  }

  it('lists a tenant\'s events in recording order, page by page through the cursor, and no other tenant\'s', async () => {
    const log = await aFeed('feed-a');

    const first = await log.listForTenant('feed-a', { limit: 2 });
    const second = await log.listForTenant('feed-a', { limit: 2, ...(first.cursor ? { after: first.cursor } : {}) });
    const third = await log.listForTenant('feed-a', { limit: 2, ...(second.cursor ? { after: second.cursor } : {}) });

    expect(first.events.map((e) => e.type)).toEqual(['created', 'settings_changed']);
    expect(first.hasMore).toBe(true);
    expect(second.events.map((e) => e.type)).toEqual(['opened', 'key_created']);
    expect(third.events).toEqual([]);
    expect(third.hasMore).toBe(false);
    expect(first.events[1]).toMatchObject({ before: { displayName: 'A' }, after: { displayName: 'B' }, recordedAt: times[1] });
    expect(first.cursor).toBe(eventPosition(first.events[1]!));
  });

  it('filters by type without losing its place, and honours since and until', async () => {
    const log = await aFeed('feed-b');

    const opened = await log.listForTenant('feed-b', { limit: 10, types: ['opened', 'key_created'] });
    const since = await log.listForTenant('feed-b', { limit: 10, since: times[2] });
    const settled = await log.listForTenant('feed-b', { limit: 10, until: times[2] });
    const window = await log.listForTenant('feed-b', { limit: 10, after: eventPosition(since.events[0]!), until: '2026-11-29T23:00:00.000Z' });

    expect(opened.events.map((e) => e.type)).toEqual(['opened', 'key_created']);
    expect(since.events.map((e) => e.type)).toEqual(['opened', 'key_created']);
    expect(settled.events.map((e) => e.type)).toEqual(['created', 'settings_changed']);
    expect(window.events.map((e) => e.type)).toEqual(['key_created']);
  });

  it('lists newest first, page by page back to since, and no other tenant\'s', async () => {
    const log = await aFeed('feed-c');

    const first = await log.listForTenant('feed-c', { limit: 2, newestFirst: true });
    const second = await log.listForTenant('feed-c', { limit: 2, newestFirst: true, ...(first.cursor ? { before: first.cursor } : {}) });
    const bounded = await log.listForTenant('feed-c', { limit: 10, newestFirst: true, since: times[1], ...(first.cursor ? { before: first.cursor } : {}) });

    expect(first.events.map((e) => e.type)).toEqual(['key_created', 'opened']);
    expect(first.hasMore).toBe(true);
    expect(first.cursor).toBe(eventPosition(first.events[1]!));
    expect(second.events.map((e) => e.type)).toEqual(['settings_changed', 'created']);
    expect(bounded.events.map((e) => e.type)).toEqual(['settings_changed']);
    expect(bounded.hasMore).toBe(false);
  });
});

describe('DynamoDbEventLog retention', () => {
  it('keeps an event for its retention (default six years) and does not store the retention itself', async () => {
    const log = new DynamoDbEventLog(env.client, env.tableName, (n) => new Uint8Array(randomBytes(n)));
    const at = '2026-11-29T12:00:00.000Z';
    await log.append([
      { tenantId: 'keep', messageId: 'keep000000000000000000', type: 'created', at, actor: 'system', retentionDays: 400 },
      { tenantId: 'keep', messageId: 'keep000000000000000000', type: 'notified', at, actor: 'system' },
    ]);

    const { Items = [] } = await env.client.send(new QueryCommand({ TableName: env.tableName, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': { S: 'MSG#keep000000000000000000' } } }));
    const ttlByType = Object.fromEntries(Items.map((item) => [item.type?.S, Number(item[TTL_ATTRIBUTE]?.N)]));

    expect(ttlByType.created).toBe(Date.parse(at) / 1000 + 400 * 86_400);
    expect(ttlByType.notified).toBe(Date.parse(at) / 1000 + (6 * 365 + 2) * 86_400);
    expect(Items.some((item) => 'retentionDays' in item)).toBe(false);
  });
});
