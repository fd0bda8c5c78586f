import { GetItemCommand, QueryCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDbWebhookStore } from '../../../functions/adapters/dynamodb/webhook-store.ts';
import { ensureTable } from '../../../functions/adapters/dynamodb/table.ts';
import type { WebhookDelivery, WebhookStore } from '../../../functions/core/webhooks/index.ts';
import { startTestTable } from '../../helpers/dynamo.ts';
import { InMemoryWebhookStore, anEndpoint } from '../../helpers/webhook-fakes.ts';

let table: Awaited<ReturnType<typeof startTestTable>>;
let tables = 0;

beforeAll(async () => { table = await startTestTable(); });
afterAll(async () => { await table.close(); });

/** A fresh table per test, so the queue (one partition for every endpoint) holds only this test's items. */
async function freshDynamoStore(): Promise<{ store: DynamoDbWebhookStore; client: DynamoDBClient; tableName: string }> {
  const tableName = `webhooks-${++tables}`;
  await ensureTable(table.client, tableName);
  return { store: new DynamoDbWebhookStore(table.client, tableName), client: table.client, tableName };
}

const aDelivery = (overrides: Partial<WebhookDelivery> = {}): WebhookDelivery => ({
  id: 'dlv_1', webhookId: 'wh_AAAAAAAAAAAAAAAA', tenantId: 'acme', at: '2026-11-29T12:00:00.000Z', eventId: 'ev_1', eventType: 'opened',
  attempt: 1, status: 'delivered', statusCode: 200, durationMs: 12, ...overrides,
});

const T0 = '2026-11-29T12:00:00.000Z';
const at = (seconds: number) => new Date(Date.parse(T0) + seconds * 1000);

describe.each([
  ['DynamoDbWebhookStore', async (): Promise<WebhookStore> => (await freshDynamoStore()).store],
  ['InMemoryWebhookStore', async (): Promise<WebhookStore> => new InMemoryWebhookStore()],
])('%s', (_name, makeStore) => {
  it('returns the endpoint as stored, wrapped secret bytes included, when its tenant asks', async () => {
    const store = await makeStore();
    const endpoint = anEndpoint({ wrappedSecret: new Uint8Array([9, 8, 7, 0, 255]), events: ['opened', 'bounced'], failingSince: T0 });

    expect(await store.create(endpoint)).toBe(true);

    expect(await store.get('acme', endpoint.id)).toEqual(endpoint);
    expect(await store.get('other', endpoint.id)).toBeUndefined();
  });

  it('refuses a second endpoint with the same id when creating', async () => {
    const store = await makeStore();
    await store.create(anEndpoint());

    expect(await store.create(anEndpoint({ tenantId: 'other' }))).toBe(false);

    expect((await store.get('acme', anEndpoint().id))?.tenantId).toBe('acme');
  });

  it('lists only the tenant\'s endpoints, oldest first, when several tenants have some', async () => {
    const store = await makeStore();
    await store.create(anEndpoint({ id: 'wh_BBBBBBBBBBBBBBBB', createdAt: at(5).toISOString() }));
    await store.create(anEndpoint({ id: 'wh_AAAAAAAAAAAAAAAA', createdAt: at(1).toISOString() }));
    await store.create(anEndpoint({ id: 'wh_CCCCCCCCCCCCCCCC', tenantId: 'other' }));

    const listed = await store.listForTenant('acme');

    expect(listed.map((e) => e.id)).toEqual(['wh_AAAAAAAAAAAAAAAA', 'wh_BBBBBBBBBBBBBBBB']);
  });

  it('deletes only when the endpoint belongs to the tenant', async () => {
    const store = await makeStore();
    await store.create(anEndpoint());

    expect(await store.delete('other', anEndpoint().id)).toBe(false);
    expect(await store.get('acme', anEndpoint().id)).toBeDefined();
    expect(await store.delete('acme', anEndpoint().id)).toBe(true);
    expect(await store.get('acme', anEndpoint().id)).toBeUndefined();
    expect(await store.delete('acme', anEndpoint().id)).toBe(false);
  });

  it('lists due endpoints, most overdue first and up to the limit, when some are not due yet', async () => {
    const store = await makeStore();
    await store.create(anEndpoint({ id: 'wh_LATE000000000000', nextAttemptAt: at(60).toISOString() }));
    await store.create(anEndpoint({ id: 'wh_NOW0000000000000', nextAttemptAt: at(10).toISOString() }));
    await store.create(anEndpoint({ id: 'wh_OLD0000000000000', nextAttemptAt: at(0).toISOString() }));

    const due = await store.listDue(at(10), 10);
    const limited = await store.listDue(at(10), 1);

    expect(due.map((e) => e.id)).toEqual(['wh_OLD0000000000000', 'wh_NOW0000000000000']);
    expect(limited.map((e) => e.id)).toEqual(['wh_OLD0000000000000']);
  });

  it('grants a lease once, hides the endpoint until it runs out, then lets it be claimed again', async () => {
    const store = await makeStore();
    await store.create(anEndpoint({ nextAttemptAt: T0 }));

    const first = await store.claim(anEndpoint().id, T0, 'token-1', at(300));
    const second = await store.claim(anEndpoint().id, T0, 'token-2', at(300));
    const hidden = await store.listDue(at(299), 10);
    const [expired] = await store.listDue(at(300), 10);
    const reclaimed = await store.claim(anEndpoint().id, expired?.nextAttemptAt ?? '', 'token-3', at(600));

    expect(first).toMatchObject({ leaseToken: 'token-1', nextAttemptAt: at(300).toISOString() });
    expect(second).toBeUndefined();
    expect(hidden).toEqual([]);
    expect(reclaimed?.leaseToken).toBe('token-3');
    expect(await store.saveProgress(anEndpoint().id, 'token-1', { position: 'p', attempts: 0 })).toBe(false);
  });

  it('saves progress under the lease, removes failingSince when absent and releases when asked', async () => {
    const store = await makeStore();
    await store.create(anEndpoint({ failingSince: T0, attempts: 3 }));
    await store.claim(anEndpoint().id, anEndpoint().nextAttemptAt, 'tok', at(300));

    const saved = await store.saveProgress(anEndpoint().id, 'tok', { position: `${T0}#abc`, attempts: 0, lastDeliveryAt: at(1).toISOString() });
    const midRun = await store.get('acme', anEndpoint().id);
    const released = await store.saveProgress(anEndpoint().id, 'tok', { position: `${T0}#def`, attempts: 1, failingSince: at(2).toISOString() }, at(32));
    const after = await store.get('acme', anEndpoint().id);

    expect(saved).toBe(true);
    expect(midRun).toMatchObject({ position: `${T0}#abc`, attempts: 0, lastDeliveryAt: at(1).toISOString(), leaseToken: 'tok' });
    expect(midRun?.failingSince).toBeUndefined();
    expect(released).toBe(true);
    expect(after).toMatchObject({ position: `${T0}#def`, attempts: 1, failingSince: at(2).toISOString(), lastDeliveryAt: at(1).toISOString(), nextAttemptAt: at(32).toISOString() });
    expect(after?.leaseToken).toBeUndefined();
    expect((await store.listDue(at(32), 10)).map((e) => e.id)).toEqual([anEndpoint().id]);
    expect(await store.saveProgress(anEndpoint().id, 'tok', { position: 'x', attempts: 0 })).toBe(false);
  });

  it('refuses progress when the endpoint was deleted during the lease', async () => {
    const store = await makeStore();
    await store.create(anEndpoint());
    await store.claim(anEndpoint().id, anEndpoint().nextAttemptAt, 'tok', at(300));
    await store.delete('acme', anEndpoint().id);

    expect(await store.saveProgress(anEndpoint().id, 'tok', { position: 'x', attempts: 0 }, at(1))).toBe(false);
    expect(await store.get('acme', anEndpoint().id)).toBeUndefined();
  });

  it('lists delivery records newest first, up to the limit, and none for another tenant', async () => {
    const store = await makeStore();
    await store.recordDelivery(aDelivery({ id: 'dlv_a', at: at(1).toISOString() }));
    await store.recordDelivery(aDelivery({ id: 'dlv_c', at: at(3).toISOString(), status: 'failed', statusCode: 500, error: 'http-500', nextAttemptAt: at(33).toISOString() }));
    await store.recordDelivery(aDelivery({ id: 'dlv_b', at: at(2).toISOString(), statusCode: undefined, status: 'gave_up', error: 'timeout' }));

    const listed = await store.listDeliveries('acme', anEndpoint().id, 2);

    expect(listed.map((d) => d.id)).toEqual(['dlv_c', 'dlv_b']);
    expect(listed[0]).toEqual(aDelivery({ id: 'dlv_c', at: at(3).toISOString(), status: 'failed', statusCode: 500, error: 'http-500', nextAttemptAt: at(33).toISOString() }));
    expect(await store.listDeliveries('other', anEndpoint().id, 10)).toEqual([]);
  });
});

describe('DynamoDbWebhookStore items', () => {
  it('stores the secret only as the wrapped bytes given and indexes the endpoint for both queries when created', async () => {
    const { store, client, tableName } = await freshDynamoStore();
    await store.create(anEndpoint({ wrappedSecret: new Uint8Array([1, 2, 3]) }));

    const { Item } = await client.send(new GetItemCommand({ TableName: tableName, Key: { pk: { S: `WEBHOOK#${anEndpoint().id}` }, sk: { S: 'WEBHOOK' } } }));

    expect(Item?.wrappedSecret).toEqual({ B: new Uint8Array([1, 2, 3]) });
    expect(Object.keys(Item ?? {}).filter((k) => /secret/i.test(k))).toEqual(['wrappedSecret']);
    expect(Item?.gsi1pk?.S).toBe('WEBHOOKS#acme');
    expect(Item?.gsi1sk?.S).toBe(`${anEndpoint().createdAt}#${anEndpoint().id}`);
    expect(Item?.gsi2pk?.S).toBe('WEBHOOKS');
    expect(Item?.gsi2sk?.S).toBe(`${anEndpoint().nextAttemptAt}#${anEndpoint().id}`);
  });

  it('gives delivery records a TTL 30 days after the attempt when recording them', async () => {
    const { store, client, tableName } = await freshDynamoStore();
    await store.recordDelivery(aDelivery());

    const { Items } = await client.send(new QueryCommand({
      TableName: tableName, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': { S: `WEBHOOK#${aDelivery().webhookId}` } },
    }));

    expect(Items).toHaveLength(1);
    expect(Items?.[0]?.sk?.S).toBe(`DELIVERY#${aDelivery().at}#dlv_1`);
    expect(Number(Items?.[0]?.ttl?.N)).toBe(Date.parse(aDelivery().at) / 1000 + 30 * 86_400);
  });
});
