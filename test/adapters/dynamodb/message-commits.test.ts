/**
 * A message's state changes and their audit events as one write (message-store.ts, protocol.md §7.3),
 * on dynalite with the stand-in's transactions, counted by the same middleware the faults suite uses:
 * a new message (chunk, head, `created`), its delivery outcomes and their events, an open (count and
 * event) — each one DynamoDB call, all or nothing.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { DynamoDBClient, QueryCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { aws_dynamodb as dynamodb } from 'aws-cdk-lib';
import { TABLE_ACCESS, type TableGrant } from '../../../cdk/constructs/data.ts';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { DynamoDbEventLog } from '../../../functions/adapters/dynamodb/event-log.ts';
import { CHUNK_BYTES, DynamoDbMessageStore } from '../../../functions/adapters/dynamodb/message-store.ts';
import { DynamoDbInboxStore } from '../../../functions/adapters/dynamodb/inbox-store.ts';
import { DynamoDbTenantDirectory } from '../../../functions/adapters/dynamodb/tenant-directory.ts';
import type { AuditEvent } from '../../../functions/core/audit/index.ts';
import type { OpenAudit } from '../../../functions/core/pickup/index.ts';
import { FaultInjector } from '../../helpers/fault-injector.ts';
import { faultyClient, loseAnswer, startTestTable } from '../../helpers/dynamo.ts';
import { aNewHead, aTenant } from '../../helpers/builders.ts';

let env: Awaited<ReturnType<typeof startTestTable>>;
const injector = new FaultInjector();
let store: DynamoDbMessageStore;
let direct: DynamoDbMessageStore;
const random = (n: number) => new Uint8Array(randomBytes(n));

beforeAll(async () => {
  env = await startTestTable();
  const client = faultyClient(injector);
  store = new DynamoDbMessageStore(client, env.tableName, new DynamoDbEventLog(client, env.tableName, random));
  direct = new DynamoDbMessageStore(env.client, env.tableName, new DynamoDbEventLog(env.client, env.tableName, random));
});
afterAll(() => env.close());
beforeEach(() => injector.reset());

const NOW = new Date('2026-11-29T12:00:00.000Z');
const calls = () => injector.recorded.map((c) => `${c.command} ${c.target}`);

async function partition(id: string) {
  const { Items = [] } = await env.client.send(new QueryCommand({
    TableName: env.tableName, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': { S: `MSG#${id}` } }, ConsistentRead: true,
  }));
  return Items.map((i) => unmarshall(i));
}
const kinds = async (id: string) => (await partition(id)).map((i) => String(i.sk).replace(/#.*/, '')).sort();

function created(id: string, tenantId = 'acme'): AuditEvent {
  return { messageId: id, tenantId, type: 'created', at: NOW.toISOString(), actor: 'key:k1' };
}

function audit(head: { id: string; tenantId: string }, opens = 0, lastOpenWindow?: string): OpenAudit & { events: number[] } {
  const events: number[] = [];
  return {
    events,
    expected: { opens, ...(lastOpenWindow !== undefined ? { lastOpenWindow } : {}) },
    event: (views) => { events.push(views); return { messageId: head.id, tenantId: head.tenantId, type: views === 1 ? 'opened' : 'revealed', at: NOW.toISOString(), actor: 'recipient:r0', detail: `view ${views}` }; },
  };
}

describe('a new message is one write', () => {
  it('writes its chunk, head and created event in one transaction', async () => {
    const head = aNewHead();
    await store.create(head, new Uint8Array([1, 2, 3]), [created(head.id)]);
    expect(calls()).toEqual(['TransactWriteItems MSG#/CHUNK+MSG#/HEAD+MSG#/EVENT']);
    expect(await kinds(head.id)).toEqual(['CHUNK', 'EVENT', 'HEAD']);
    const read = await direct.readForOpen(head.id);
    expect(read.head?.chunkCount).toBe(1);
    expect([...(read.firstPart ?? [])]).toEqual([1, 2, 3]);
  });

  it('lists a Message Center message in its recipients\' inboxes in the same transaction', async () => {
    const head = aNewHead({
      custody: 'message-center', wrappedSecrets: new Uint8Array([1]), wrappedCustodyKey: new Uint8Array([2]),
      recipients: [
        { rid: 'r0', email: 'ann@example.com', kind: 'to', tokenHash: 'h0', status: 'pending', opens: 0 },
        { rid: 'r1', email: 'Ben@Example.com', kind: 'cc', tokenHash: 'h1', status: 'pending', opens: 0 },
      ],
    });
    await store.create(head, new Uint8Array([1, 2, 3]), [created(head.id)]);
    expect(calls()).toEqual(['TransactWriteItems MSG#/CHUNK+MSG#/HEAD+MSG#/EVENT+INBOX#/ITEM+INBOX#/ITEM']);
    const inbox = new DynamoDbInboxStore(env.client, env.tableName);
    expect((await inbox.listEntries(head.tenantId, 'ben@example.com', 10)).map((e) => [e.messageId, e.rid])).toEqual([[head.id, 'r1']]);
  });

  it('writes the inbox entries of more recipients than a transaction holds first, then the head', async () => {
    const recipients = Array.from({ length: 95 }, (_, i) => ({ rid: `r${i}`, email: `p${i}@example.com`, kind: 'to' as const, tokenHash: `h${i}`, status: 'pending' as const, opens: 0 }));
    const head = aNewHead({ custody: 'message-center', wrappedSecrets: new Uint8Array([1]), wrappedCustodyKey: new Uint8Array([2]), recipients });
    await store.create(head, new Uint8Array([1]), [created(head.id)]);
    expect(calls()).toEqual([
      ...Array(4).fill('BatchWriteItem INBOX#/ITEM'),
      'TransactWriteItems MSG#/CHUNK+MSG#/HEAD+MSG#/EVENT',
    ]);
    const inbox = new DynamoDbInboxStore(env.client, env.tableName);
    expect((await inbox.listEntries(head.tenantId, 'p94@example.com', 10)).map((e) => e.rid)).toEqual(['r94']);
  });

  it('writes nothing at all when the id is taken', async () => {
    const head = aNewHead();
    await direct.create(head, new Uint8Array([9]), [created(head.id)]);
    const before = await partition(head.id);
    await expect(store.create({ ...head, label: 'another' }, new Uint8Array([1, 2]), [created(head.id)])).rejects.toThrow(/could not be stored/);
    expect(await partition(head.id)).toEqual(before);
  });

  it('writes a message of several chunks first, then its head and event together', async () => {
    const head = aNewHead();
    await store.create(head, new Uint8Array(randomBytes(CHUNK_BYTES + 10)), [created(head.id)]);
    expect(calls()).toEqual(['PutItem MSG#/CHUNK', 'PutItem MSG#/CHUNK', 'TransactWriteItems MSG#/HEAD+MSG#/EVENT']);
    expect(await direct.readForOpen(head.id)).toEqual({ head: expect.objectContaining({ chunkCount: 2 }) });
  });

  it.each(['applied-then-retried', 'applied-then-lost'] as const)('is stored once when its answer was lost (%s)', async (kind) => {
    const head = aNewHead();
    loseAnswer(injector, 'TransactWriteItems', 'MSG#/CHUNK+MSG#/HEAD+MSG#/EVENT', kind);
    await store.create(head, new Uint8Array([1, 2, 3]), [created(head.id)]);
    expect(injector.fired).toBeGreaterThan(0);
    expect(await kinds(head.id)).toEqual(['CHUNK', 'EVENT', 'HEAD']);
  });
});

describe('delivery outcomes and their events are one write', () => {
  it('records the outcomes and the events in one transaction', async () => {
    const head = aNewHead();
    await direct.create(head, new Uint8Array([1]), [created(head.id)]);
    await store.recordDelivery(head.id, [{ rid: 'r0', status: 'notified', at: NOW.toISOString() }], [{ ...created(head.id), type: 'notified', actor: 'system' }]);
    expect(calls()).toEqual(['TransactWriteItems MSG#/HEAD+MSG#/EVENT']);
    expect((await direct.getHead(head.id))?.recipients[0]?.status).toBe('notified');
    expect((await partition(head.id)).filter((i) => i.type === 'notified')).toHaveLength(1);
  });
});

describe('an open is one read and one write', () => {
  it('reads the tenant the page named in the same request, as the tenant directory reads it', async () => {
    const head = aNewHead({ tenantId: 'open-t5' });
    await direct.create(head, new Uint8Array([7]), [created(head.id, 'open-t5')]);
    await new DynamoDbTenantDirectory(env.client, env.tableName).createTenant(aTenant({ id: 'open-t5', settings: { displayName: 'Open T5' } }));
    injector.reset();

    const read = await store.readForOpen(head.id, 'open-t5');
    expect(calls()).toEqual(['BatchGetItem MSG#/HEAD+MSG#/CHUNK+TENANT#/TENANT']);
    // Within what the portal's role may read that way (its IAM grant, dynamodb:LeadingKeys): AWS
    // refuses a BatchGetItem whole if one key is outside it, which no local stand-in enforces.
    const granted = (TABLE_ACCESS.recipient as readonly TableGrant[]).filter((g) => g.index === undefined && g.operations.includes(dynamodb.Operation.BATCH_GET_ITEM)).flatMap((g) => g.partitions);
    for (const prefix of ['MSG#', 'TENANT#']) expect(granted).toContain(`${prefix}*`);
    expect(read.tenant).toEqual({ id: 'open-t5', value: await new DynamoDbTenantDirectory(env.client, env.tableName).getTenant('open-t5') });
    expect(read.tenant?.value?.settings.displayName).toBe('Open T5');
    expect(read.firstPart).toEqual(new Uint8Array([7]));
    // One that is not there reads as none; without a name, no tenant is read at all.
    expect((await store.readForOpen(head.id, 'nobody')).tenant).toEqual({ id: 'nobody', value: undefined });
    injector.reset();
    expect((await store.readForOpen(head.id)).tenant).toBeUndefined();
    expect(calls()).toEqual(['BatchGetItem MSG#/HEAD+MSG#/CHUNK']);
  });

  it('says nothing of a tenant DynamoDB left unprocessed (throttling), so the caller reads it itself', async () => {
    const head = aNewHead({ tenantId: 'open-t6' });
    await direct.create(head, new Uint8Array([3]), [created(head.id, 'open-t6')]);
    await new DynamoDbTenantDirectory(env.client, env.tableName).createTenant(aTenant({ id: 'open-t6' }));
    expect((await store.readForOpen(head.id, 'open-t6')).tenant?.value?.id).toBe('open-t6');
    // DynamoDB's answer as under throttling: the tenant's key handed back as unprocessed.
    const throttled = new DynamoDBClient({ region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
    throttled.middlewareStack.add((next) => async (args) => {
      const result = await next(args);
      const output = result.output as { Responses?: Record<string, Record<string, AttributeValue>[]>; UnprocessedKeys?: Record<string, { Keys: Record<string, AttributeValue>[] }> };
      const items = output.Responses?.[env.tableName];
      if (items) {
        const tenants = items.filter((i) => i.pk?.S?.startsWith('TENANT#'));
        output.Responses = { [env.tableName]: items.filter((i) => !tenants.includes(i)) };
        output.UnprocessedKeys = { [env.tableName]: { Keys: tenants.map((i) => ({ pk: i.pk as AttributeValue, sk: i.sk as AttributeValue })) } };
      }
      return result;
    }, { step: 'initialize', name: 'throttleTenantKeys' });
    const read = await new DynamoDbMessageStore(throttled, env.tableName).readForOpen(head.id, 'open-t6');
    throttled.destroy();

    expect(read.head?.id).toBe(head.id);
    expect(read.firstPart).toEqual(new Uint8Array([3]));
    // Not "no such tenant", which would close the message: no tenant at all.
    expect(read.tenant).toBeUndefined();
  });

  it('reads the head and its one chunk in one request, and counts the open with its event in one write', async () => {
    const head = aNewHead({ tenantId: 'open-t1' });
    await direct.create(head, new Uint8Array([4, 5]), [created(head.id, 'open-t1')]);
    injector.reset();
    const read = await store.readForOpen(head.id);
    const a = audit(head);
    expect(await store.recordOpen(head.id, 'r0', NOW, '2026-11-29T12', undefined, a)).toEqual({ newWindow: true, views: 1 });
    expect(calls()).toEqual(['BatchGetItem MSG#/HEAD+MSG#/CHUNK', 'TransactWriteItems MSG#/HEAD+MSG#/EVENT']);
    expect(read.firstPart).toEqual(new Uint8Array([4, 5]));
    expect((await direct.getHead(head.id))?.recipients[0]).toMatchObject({ opens: 1, lastOpenWindow: '2026-11-29T12' });
    expect((await partition(head.id)).filter((i) => i.type === 'opened')).toHaveLength(1);
  });

  it('under a view limit, lets exactly that many of many parallel opens through, each with its own view number', async () => {
    const head = aNewHead({ tenantId: 'open-t3', maxViews: 3 });
    await direct.create(head, new Uint8Array([1]), [created(head.id, 'open-t3')]);
    const results = await Promise.all(Array.from({ length: 10 }, () => store.recordOpen(head.id, 'r0', NOW, 'w', 3, audit(head))));
    expect(results.filter(Boolean).map((r) => r?.views).sort()).toEqual([1, 2, 3]);
    expect((await direct.getHead(head.id))?.recipients[0]?.opens).toBe(3);
    const details = (await partition(head.id)).filter((i) => i.type === 'opened' || i.type === 'revealed').map((i) => i.detail).sort();
    expect(details).toEqual(['view 1', 'view 2', 'view 3']);
  });

  it.each(['applied-then-retried', 'applied-then-lost'] as const)('counts an open once when its answer was lost (%s)', async (kind) => {
    const head = aNewHead({ tenantId: 'open-t4' });
    await direct.create(head, new Uint8Array([1]), [created(head.id, 'open-t4')]);
    loseAnswer(injector, 'TransactWriteItems', 'MSG#/HEAD+MSG#/EVENT', kind);
    expect(await store.recordOpen(head.id, 'r0', NOW, 'w', undefined, audit(head))).toEqual({ newWindow: true, views: 1 });
    expect(injector.fired).toBeGreaterThan(0);
    expect((await direct.getHead(head.id))?.recipients[0]?.opens).toBe(1);
    expect((await partition(head.id)).filter((i) => i.type === 'opened')).toHaveLength(1);
  });
});
