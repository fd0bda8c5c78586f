/** The verification writes of the message store on dynalite: each rule is in the condition of one write. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { DynamoDbMessageStore } from '../../../functions/adapters/dynamodb/message-store.ts';
import { deriveAccessToken, deriveLinkToken, encodeSecret, hashAccessToken } from '../../../functions/core/protocol/index.ts';
import { CodeWrongError, LockedError, VerificationRequiredError } from '../../../functions/core/shared/index.ts';
import { authorizeRecipient, VERIFICATION_POLICY as LIMITS, type PickupDeps } from '../../../functions/core/pickup/index.ts';
import type { NewMessageHead } from '../../../functions/core/messages/index.ts';
import { aTenant } from '../../helpers/builders.ts';
import { CapturingLogger, InMemoryEventLog, InMemoryTenantDirectory, RecordingNotifier } from '../../helpers/fakes.ts';
import { startTestTable } from '../../helpers/dynamo.ts';

let env: Awaited<ReturnType<typeof startTestTable>>;
let store: DynamoDbMessageStore;
beforeAll(async () => {
  env = await startTestTable();
  store = new DynamoDbMessageStore(env.client, env.tableName);
});
afterAll(() => env.close());

const T0 = new Date('2026-11-29T12:00:00.000Z');
const at = (ms: number) => new Date(T0.getTime() + ms);
const MINUTE = 60_000;
let counter = 0;

async function aStoredHead(overrides: Partial<NewMessageHead> = {}): Promise<NewMessageHead> {
  counter++;
  const head: NewMessageHead = {
    id: `vrf${String(counter).padStart(19, '0')}`,
    tenantId: 'acme',
    createdAt: T0.toISOString(),
    expiresAt: '2026-12-13T12:00:00.000Z',
    state: 'active',
    verification: 'email-code',
    recipients: [
      { rid: 'r0', email: 'alice@example.com', kind: 'to', tokenHash: 'h0', status: 'notified', opens: 0 },
      { rid: 'r1', email: 'bob@example.com', kind: 'to', tokenHash: 'h1', status: 'notified', opens: 0 },
    ],
    ...overrides,
  };
  await store.create(head, new Uint8Array([1, 2, 3]));
  return head;
}

const recipient = async (id: string, rid = 'r1') => (await store.getHead(id))!.recipients.find((r) => r.rid === rid)!;
const code = (hash: string, now: Date) => ({ hash, expiresAt: new Date(now.getTime() + LIMITS.codeTtlMs).toISOString() });
const grant = (now: Date) => ({ hash: 'grant-hash', expiresAt: new Date(now.getTime() + LIMITS.grantTtlMs).toISOString() });

describe('DynamoDbMessageStore.issueCode', () => {
  it('stores the code hash, 30 seconds apart and at most 5 in an hour, then starts a new window', async () => {
    const { id } = await aStoredHead();

    const results: boolean[] = [];
    results.push(await store.issueCode(id, 'r1', code('c1', at(0)), at(0), LIMITS));
    results.push(await store.issueCode(id, 'r1', code('c2', at(29_999)), at(29_999), LIMITS));
    for (let i = 1; i <= 4; i++) results.push(await store.issueCode(id, 'r1', code(`c${i + 2}`, at(i * 30_000)), at(i * 30_000), LIMITS));
    results.push(await store.issueCode(id, 'r1', code('c7', at(5 * 30_000)), at(5 * 30_000), LIMITS));
    const full = await recipient(id);
    const reopened = await store.issueCode(id, 'r1', code('c8', at(60 * MINUTE)), at(60 * MINUTE), LIMITS);

    expect(results).toEqual([true, false, true, true, true, true, false]);
    expect(full).toMatchObject({ codeSends: 5, codeWindowStart: T0.toISOString(), code: { hash: 'c6', sentAt: at(120_000).toISOString() } });
    expect(reopened).toBe(true);
    expect(await recipient(id)).toMatchObject({ codeSends: 1, codeWindowStart: at(60 * MINUTE).toISOString(), code: { hash: 'c8' } });
    expect((await recipient(id, 'r0')).code).toBeUndefined();
  });

  it('sends one code of 10 parallel requests', async () => {
    const { id } = await aStoredHead();

    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => store.issueCode(id, 'r0', code(`p${i}`, T0), T0, LIMITS)));

    expect(results.filter(Boolean)).toHaveLength(1);
    expect((await recipient(id, 'r0')).codeSends).toBe(1);
  });

  it('refuses a locked recipient and a revoked or expired message', async () => {
    const locked = await aStoredHead();
    for (let i = 0; i < 5; i++) await store.recordFailure(locked.id, 'r0', T0, LIMITS);
    const revoked = await aStoredHead();
    await store.revoke('acme', revoked.id, T0);
    const expired = await aStoredHead({ expiresAt: at(MINUTE).toISOString() });

    expect(await store.issueCode(locked.id, 'r0', code('x', T0), T0, LIMITS)).toBe(false);
    expect(await store.issueCode(locked.id, 'r0', code('x', at(15 * MINUTE)), at(15 * MINUTE), LIMITS)).toBe(true);
    expect(await store.issueCode(revoked.id, 'r0', code('x', T0), T0, LIMITS)).toBe(false);
    expect(await store.issueCode(expired.id, 'r0', code('x', at(MINUTE)), at(MINUTE), LIMITS)).toBe(false);
  });
});

describe('DynamoDbMessageStore.recordFailure', () => {
  it('counts to 5 and then refuses until the last failure is 15 minutes old, when it starts again at 1', async () => {
    const { id } = await aStoredHead();

    const counts: (number | undefined)[] = [];
    for (let i = 0; i < 6; i++) counts.push(await store.recordFailure(id, 'r1', at(i * 1000), LIMITS));
    const stillLocked = await store.recordFailure(id, 'r1', at(4000 + 15 * MINUTE - 1), LIMITS);
    const after = await store.recordFailure(id, 'r1', at(4000 + 15 * MINUTE), LIMITS);

    expect(counts).toEqual([1, 2, 3, 4, 5, undefined]);
    expect(stillLocked).toBeUndefined();
    expect(after).toBe(1);
    expect(await recipient(id)).toMatchObject({ failures: 1, lastFailureAt: at(4000 + 15 * MINUTE).toISOString() });
    expect((await recipient(id, 'r0')).failures).toBeUndefined();
  });

  it('forgets failures older than the lock window', async () => {
    const { id } = await aStoredHead();
    await store.recordFailure(id, 'r0', T0, LIMITS);
    await store.recordFailure(id, 'r0', T0, LIMITS);

    expect(await store.recordFailure(id, 'r0', at(16 * MINUTE), LIMITS)).toBe(1);
  });

  it('counts exactly 5 of 20 parallel failures', async () => {
    const { id } = await aStoredHead();

    const results = await Promise.all(Array.from({ length: 20 }, () => store.recordFailure(id, 'r0', T0, LIMITS)));

    expect(results.filter((r) => r !== undefined).sort()).toEqual([1, 2, 3, 4, 5]);
    expect((await recipient(id, 'r0')).failures).toBe(5);
  });
});

describe('DynamoDbMessageStore.consumeCode and storeGrant', () => {
  it('uses the code with the compared hash once, stores the grant and resets the failures', async () => {
    const { id } = await aStoredHead();
    await store.issueCode(id, 'r0', code('right', T0), T0, LIMITS);
    await store.recordFailure(id, 'r0', T0, LIMITS);

    const wrong = await store.consumeCode(id, 'r0', 'wrong', grant(T0), T0, LIMITS);
    const right = await store.consumeCode(id, 'r0', 'right', grant(T0), T0, LIMITS);
    const again = await store.consumeCode(id, 'r0', 'right', grant(T0), T0, LIMITS);

    expect([wrong, right, again]).toEqual([false, true, false]);
    const r0 = await recipient(id, 'r0');
    expect(r0.code).toBeUndefined();
    expect(r0).toMatchObject({ failures: 0, grant: grant(T0), codeSends: 1 });
  });

  it('lets exactly one of 20 parallel right answers use the code', async () => {
    const { id } = await aStoredHead();
    await store.issueCode(id, 'r0', code('right', T0), T0, LIMITS);

    const results = await Promise.all(Array.from({ length: 20 }, () => store.consumeCode(id, 'r0', 'right', grant(T0), T0, LIMITS)));

    expect(results.filter(Boolean)).toHaveLength(1);
  });

  it('refuses an expired code and a locked recipient', async () => {
    const { id } = await aStoredHead();
    await store.issueCode(id, 'r0', code('right', T0), T0, LIMITS);
    await store.issueCode(id, 'r1', code('right', T0), T0, LIMITS);
    for (let i = 0; i < 5; i++) await store.recordFailure(id, 'r1', T0, LIMITS);

    expect(await store.consumeCode(id, 'r0', 'right', grant(T0), at(LIMITS.codeTtlMs), LIMITS)).toBe(false);
    expect(await store.consumeCode(id, 'r1', 'right', grant(T0), at(MINUTE), LIMITS)).toBe(false);
  });

  it('stores a grant for an active message only', async () => {
    const live = await aStoredHead();
    const revoked = await aStoredHead();
    await store.revoke('acme', revoked.id, T0);

    expect(await store.storeGrant(live.id, 'r1', grant(T0), T0)).toBe(true);
    expect(await store.storeGrant(revoked.id, 'r1', grant(T0), T0)).toBe(false);
    expect((await recipient(live.id)).grant).toEqual(grant(T0));
  });
});

describe('authorizeRecipient on DynamoDB', () => {
  it('answers at most 5 of 20 parallel wrong codes; of 20 parallel right codes one is let through', async () => {
    const secret = encodeSecret(new Uint8Array(randomBytes(32)));
    const token = await deriveAccessToken(secret);
    const link = await deriveLinkToken(secret);
    const { id } = await aStoredHead({
      recipients: [{ rid: 'r0', email: 'alice@example.com', kind: 'to', tokenHash: await hashAccessToken(token), linkTokenHash: await hashAccessToken(link), status: 'notified', opens: 0 }],
    });
    let now = T0;
    const tenants = new InMemoryTenantDirectory();
    tenants.tenants.set('acme', aTenant());
    const notifier = new RecordingNotifier();
    const deps: PickupDeps = {
      store, events: new InMemoryEventLog(), clock: () => now, logger: new CapturingLogger(), notifier, tenants, random: (n) => new Uint8Array(randomBytes(n)),
    };
    const attempt = (extra: { code?: string }) => authorizeRecipient(deps, id, { link, token, ...extra }).then(() => 'ok', (e: Error) => e.constructor.name);
    const lastCode = () => /^\s+(\d{6})$/m.exec(notifier.sent.at(-1)?.text ?? '')?.[1] ?? '';

    await expect(authorizeRecipient(deps, id, { link, token })).rejects.toThrow(VerificationRequiredError);
    const wrong = lastCode() === '000000' ? '000001' : '000000';
    const guesses = await Promise.all(Array.from({ length: 20 }, () => attempt({ code: wrong })));
    now = at(15 * MINUTE);
    await expect(authorizeRecipient(deps, id, { link, token })).rejects.toThrow(VerificationRequiredError);
    const rights = await Promise.all(Array.from({ length: 20 }, () => attempt({ code: lastCode() })));

    expect(guesses.filter((g) => g === CodeWrongError.name).length).toBeLessThanOrEqual(5);
    expect(guesses.filter((g) => g !== CodeWrongError.name).every((g) => g === LockedError.name)).toBe(true);
    expect(guesses.filter((g) => g === LockedError.name).length).toBeGreaterThanOrEqual(15);
    expect(rights.filter((r) => r === 'ok')).toHaveLength(1);
    expect((await recipient(id, 'r0')).grant?.hash).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });
});
