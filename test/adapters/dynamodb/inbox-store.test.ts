/** Message Center items on dynalite: inbox entries, sign-in codes (limits, lockout), sessions and recovery grants. */
import { GetItemCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDbInboxStore, DynamoDbRecoveryStore, inboxEmailHash, inboxKey } from '../../../functions/adapters/dynamodb/inbox-store.ts';
import { DynamoDbMessageStore } from '../../../functions/adapters/dynamodb/message-store.ts';
import { TTL_ATTRIBUTE } from '../../../functions/adapters/dynamodb/table.ts';
import type { RecoveryGrant, NewMessageHead } from '../../../functions/core/messages/index.ts';
import { startTestTable } from '../../helpers/dynamo.ts';

let env: Awaited<ReturnType<typeof startTestTable>>;
let inbox: DynamoDbInboxStore;
let recoveries: DynamoDbRecoveryStore;
let messages: DynamoDbMessageStore;
beforeAll(async () => {
  env = await startTestTable();
  inbox = new DynamoDbInboxStore(env.client, env.tableName);
  recoveries = new DynamoDbRecoveryStore(env.client, env.tableName);
  messages = new DynamoDbMessageStore(env.client, env.tableName);
});
afterAll(() => env.close());

const T0 = Date.parse('2026-11-29T12:00:00.000Z');
const at = (ms: number) => new Date(T0 + ms);
const SEC = 1000;
const MIN = 60 * SEC;
let counter = 0;
/** A fresh address per test, so tests do not share sign-in state. */
const anAddress = () => `Person${++counter}@Example.com`;

async function signInItem(tenantId: string, email: string): Promise<Record<string, unknown>> {
  const { Item } = await env.client.send(new GetItemCommand({ TableName: env.tableName, Key: { pk: { S: inboxKey.signIn(tenantId, await inboxEmailHash(email)).pk }, sk: { S: 'SIGNIN' } }, ConsistentRead: true }));
  return Item ? unmarshall(Item) : {};
}

describe('DynamoDbInboxStore entries', () => {
  it('lists an address\'s entries newest first, whatever its case, and only for that tenant', async () => {
    const email = anAddress();
    const entry = (messageId: string, createdAt: string, tenantId = 'acme') => ({ tenantId, email, messageId, rid: 'r1', createdAt, expiresAt: '2026-12-13T12:00:00.000Z' });

    await inbox.putEntries([entry('mA', '2026-11-01T00:00:00.000Z'), entry('mB', '2026-11-03T00:00:00.000Z'), entry('mC', '2026-11-02T00:00:00.000Z'), entry('mX', '2026-11-04T00:00:00.000Z', 'other')]);
    const listed = await inbox.listEntries('acme', email.toLowerCase(), 10);
    const limited = await inbox.listEntries('acme', email.toUpperCase(), 2);

    expect(listed.map((e) => e.messageId)).toEqual(['mB', 'mC', 'mA']);
    expect(listed[0]).toEqual({ messageId: 'mB', rid: 'r1', createdAt: '2026-11-03T00:00:00.000Z', expiresAt: '2026-12-13T12:00:00.000Z' });
    expect(limited.map((e) => e.messageId)).toEqual(['mB', 'mC']);
  });

  it('keys entries by a hash of the address, never the address, and gives each a TTL', async () => {
    const email = anAddress();

    await inbox.putEntries([{ tenantId: 'acme', email, messageId: 'mHash', rid: 'r0', createdAt: '2026-11-29T12:00:00.000Z', expiresAt: '2026-11-30T12:00:00.000Z' }]);
    const { Items } = await env.client.send(new ScanCommand({ TableName: env.tableName }));
    const item = (Items ?? []).map((i) => unmarshall(i)).find((i) => i.messageId === 'mHash');

    expect(item?.pk).toBe(`INBOX#acme#${await inboxEmailHash(email)}`);
    expect(JSON.stringify(item).toLowerCase()).not.toContain(email.toLowerCase());
    // Until the longest lifetime a message may be extended to (90 days), not only its first expiry.
    expect(item?.[TTL_ATTRIBUTE]).toBe(Math.ceil(Date.parse('2027-02-27T12:00:00.000Z') / 1000));
  });
});

describe('DynamoDbInboxStore sign-in codes', () => {
  it('issues a code at most every 30 seconds and five times an hour', async () => {
    const email = anAddress();
    const issue = (ms: number) => inbox.issueCode('acme', email, `h${ms}`, at(ms));

    const outcomes = [await issue(0), await issue(10 * SEC), await issue(31 * SEC), await issue(62 * SEC), await issue(93 * SEC), await issue(124 * SEC), await issue(155 * SEC), await issue(61 * MIN)];

    expect(outcomes).toEqual(['issued', 'refused', 'issued', 'issued', 'issued', 'issued', 'refused', 'issued']);
  });

  it('accepts a code once, before it expires, and removes it', async () => {
    const email = anAddress();
    const late = anAddress();
    await inbox.issueCode('acme', email, 'good', at(0));
    await inbox.issueCode('acme', late, 'good', at(0));

    const first = await inbox.redeemCode('acme', email, 'good', at(MIN));
    const again = await inbox.redeemCode('acme', email, 'good', at(2 * MIN));
    const expired = await inbox.redeemCode('acme', late, 'good', at(10 * MIN + SEC));

    expect([first, again, expired]).toEqual(['ok', 'wrong', 'wrong']);
    expect((await signInItem('acme', email)).codeHash).toBeUndefined();
  });

  it('locks the address for 15 minutes after five wrong codes, even for the right code and new codes', async () => {
    const email = anAddress();
    await inbox.issueCode('acme', email, 'good', at(0));

    const wrong = [];
    for (let i = 1; i <= 5; i++) wrong.push(await inbox.redeemCode('acme', email, 'bad', at(i * SEC)));
    const rightWhileLocked = await inbox.redeemCode('acme', email, 'good', at(10 * SEC));
    const newCodeWhileLocked = await inbox.issueCode('acme', email, 'next', at(14 * MIN));
    const newCodeAfter = await inbox.issueCode('acme', email, 'next', at(15 * MIN + 6 * SEC));
    const rightAfter = await inbox.redeemCode('acme', email, 'next', at(16 * MIN));

    expect(wrong).toEqual(['wrong', 'wrong', 'wrong', 'wrong', 'locked']);
    expect([rightWhileLocked, newCodeWhileLocked, newCodeAfter, rightAfter]).toEqual(['locked', 'refused', 'issued', 'ok']);
  });

  it('counts at most five of 20 parallel wrong codes', async () => {
    const email = anAddress();
    await inbox.issueCode('acme', email, 'good', at(0));

    const outcomes = await Promise.all(Array.from({ length: 20 }, () => inbox.redeemCode('acme', email, 'bad', at(SEC))));
    const stored = await signInItem('acme', email);

    expect(stored.failures).toBeLessThanOrEqual(5);
    expect(stored.failures).toBeGreaterThanOrEqual(1);
    expect(outcomes).not.toContain('ok');
    expect(outcomes).toContain('locked');
    await expect(inbox.redeemCode('acme', email, 'good', at(2 * SEC))).resolves.toBe('locked');
  });

  it('counts wrong codes for an address that was never sent one, exactly as for one that was', async () => {
    const email = anAddress();

    const outcomes = [];
    for (let i = 1; i <= 5; i++) outcomes.push(await inbox.redeemCode('acme', email, 'guess', at(i * SEC)));

    expect(outcomes).toEqual(['wrong', 'wrong', 'wrong', 'wrong', 'locked']);
  });
});

describe('DynamoDbInboxStore sessions', () => {
  const aSession = (tokenHash: string) => ({
    tokenHash, tenantId: 'acme', email: 'alice@example.com', createdAt: at(0).toISOString(), lastSeenAt: at(0).toISOString(), expiresAt: at(12 * 60 * MIN).toISOString(),
  });

  it('stores a session once, under its hash, with a TTL at its absolute end', async () => {
    const session = aSession('s-create');

    const created = await inbox.createSession(session);
    const duplicate = await inbox.createSession(session);
    const { Item } = await env.client.send(new GetItemCommand({ TableName: env.tableName, Key: { pk: { S: 'SESSION#s-create' }, sk: { S: 'SESSION' } } }));

    expect([created, duplicate]).toEqual([true, false]);
    expect(await inbox.getSession('s-create')).toEqual(session);
    expect(Number(Item?.[TTL_ATTRIBUTE]?.N)).toBe(Math.ceil((T0 + 12 * 60 * MIN) / 1000));
  });

  it('ends a session after 30 idle minutes', async () => {
    await inbox.createSession(aSession('s-idle'));

    const active = await inbox.touchSession('s-idle', at(29 * MIN), at(-1 * MIN));
    const idle = await inbox.touchSession('s-idle', at(60 * MIN), at(30 * MIN));

    expect(active?.lastSeenAt).toBe(at(29 * MIN).toISOString());
    expect(idle).toBeUndefined();
  });

  it('ends a session after 12 hours however active it is', async () => {
    await inbox.createSession(aSession('s-absolute'));

    let last;
    for (let minutes = 20; minutes < 12 * 60; minutes += 20) last = await inbox.touchSession('s-absolute', at(minutes * MIN), at((minutes - 30) * MIN));
    const after = await inbox.touchSession('s-absolute', at(12 * 60 * MIN), at((12 * 60 - 30) * MIN));

    expect(last?.lastSeenAt).toBe(at((12 * 60 - 20) * MIN).toISOString());
    expect(after).toBeUndefined();
  });

  it('deletes a session on sign-out', async () => {
    await inbox.createSession(aSession('s-out'));

    await inbox.deleteSession('s-out');

    expect(await inbox.getSession('s-out')).toBeUndefined();
    expect(await inbox.touchSession('s-out', at(MIN), at(-29 * MIN))).toBeUndefined();
  });
});

describe('DynamoDbRecoveryStore', () => {
  let n = 0;
  async function aHead(overrides: Partial<NewMessageHead> = {}): Promise<NewMessageHead> {
    const head: NewMessageHead = {
      id: `rec${String(++n).padStart(19, '0')}`, tenantId: 'acme', createdAt: at(0).toISOString(), expiresAt: at(14 * 24 * 60 * MIN).toISOString(), state: 'active',
      recipients: [{ rid: 'r0', email: 'alice@example.com', kind: 'to', tokenHash: 'h0', status: 'notified', opens: 0 }],
      custody: 'message-center', wrappedSecrets: new Uint8Array([9, 9, 9]), ...overrides,
    };
    await messages.create(head, new Uint8Array([1]));
    return head;
  }
  const aGrant = (tokenHash: string, expiresAt = at(24 * 60 * MIN).toISOString()): RecoveryGrant => ({
    tokenHash, wrappedSecret: new Uint8Array([1, 2, 3]), rid: 'r0', createdAt: at(0).toISOString(), expiresAt, createdBy: 'key:0123456789abcdef',
  });

  it('appends grants up to the cap, and only to an active Message Center message of the tenant', async () => {
    const head = await aHead();
    const standard = await aHead({ custody: 'link', wrappedSecrets: undefined });

    const added = [];
    for (let i = 0; i < 6; i++) added.push(await recoveries.addRecovery('acme', head.id, aGrant(`g${i}`), at(MIN), 5));
    const otherTenant = await recoveries.addRecovery('other', head.id, aGrant('x'), at(MIN), 5);
    const notKept = await recoveries.addRecovery('acme', standard.id, aGrant('x'), at(MIN), 5);
    const stored = await messages.getHead(head.id);

    expect(added).toEqual([true, true, true, true, true, false]);
    expect([otherTenant, notKept]).toEqual([false, false]);
    expect(stored?.recoveries?.map((g) => g.tokenHash)).toEqual(['g0', 'g1', 'g2', 'g3', 'g4']);
    expect(Buffer.from(stored?.recoveries?.[0]?.wrappedSecret ?? [])).toEqual(Buffer.from([1, 2, 3]));
  });

  it('lets only one of 10 parallel cap-racing appends take the last slot', async () => {
    const head = await aHead();
    for (let i = 0; i < 4; i++) await recoveries.addRecovery('acme', head.id, aGrant(`g${i}`), at(MIN), 5);

    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => recoveries.addRecovery('acme', head.id, aGrant(`race${i}`), at(MIN), 5)));

    expect(results.filter(Boolean)).toHaveLength(1);
    expect((await messages.getHead(head.id))?.recoveries).toHaveLength(5);
  });

  it('uses a grant once, with its own token hash, before it expires', async () => {
    const head = await aHead();
    await recoveries.addRecovery('acme', head.id, aGrant('once'), at(MIN), 5);
    await recoveries.addRecovery('acme', head.id, aGrant('short', at(2 * MIN).toISOString()), at(MIN), 5);

    const wrongHash = await recoveries.useRecovery(head.id, 0, 'short', at(2 * MIN));
    const parallel = await Promise.all(Array.from({ length: 5 }, () => recoveries.useRecovery(head.id, 0, 'once', at(2 * MIN))));
    const expired = await recoveries.useRecovery(head.id, 1, 'short', at(3 * MIN));
    const missing = await recoveries.useRecovery(head.id, 7, 'once', at(2 * MIN));

    expect(wrongHash).toBe(false);
    expect(parallel.filter(Boolean)).toHaveLength(1);
    expect([expired, missing]).toEqual([false, false]);
    expect((await messages.getHead(head.id))?.recoveries?.[0]?.usedAt).toBe(at(2 * MIN).toISOString());
  });

  it('refuses to use a grant of a revoked message', async () => {
    const head = await aHead();
    await recoveries.addRecovery('acme', head.id, aGrant('revoked'), at(MIN), 5);
    await messages.revoke('acme', head.id, at(2 * MIN));

    expect(await recoveries.useRecovery(head.id, 0, 'revoked', at(3 * MIN))).toBe(false);
  });
});
