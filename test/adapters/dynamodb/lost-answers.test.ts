/**
 * Writes whose answer was lost, on dynalite: the write happened, but the SDK saw a reset
 * connection — and either gave up ("applied-then-lost") or retried the very same request, which
 * then met the first attempt's effect ("applied-then-retried"). Each adapter must recognise its own
 * write, never apply it twice, and never report it as refused. Found by test/e2e/faults.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDbIdempotencyStore } from '../../../functions/adapters/dynamodb/idempotency-store.ts';
import { DynamoDbInboxStore, DynamoDbRecoveryStore } from '../../../functions/adapters/dynamodb/inbox-store.ts';
import { DynamoDbMessageStore } from '../../../functions/adapters/dynamodb/message-store.ts';
import { DynamoDbReplyRecorder } from '../../../functions/adapters/dynamodb/reply-recorder.ts';
import { SIGN_IN_LIMITS } from '../../../functions/core/message-center/index.ts';
import type { NewMessageHead } from '../../../functions/core/messages/index.ts';
import { VERIFICATION_POLICY } from '../../../functions/core/pickup/index.ts';
import { FaultInjector } from '../../helpers/fault-injector.ts';
import { faultyClient, loseAnswer, startTestTable } from '../../helpers/dynamo.ts';
import { AN_UNRECORDED_OPEN, aNewHead } from '../../helpers/builders.ts';

let env: Awaited<ReturnType<typeof startTestTable>>;
const injector = new FaultInjector();
/** What the adapters under test see (through the injector), and the same table read directly. */
let faulty: { messages: DynamoDbMessageStore; idempotency: DynamoDbIdempotencyStore; inbox: DynamoDbInboxStore; replies: DynamoDbReplyRecorder };
let direct: { messages: DynamoDbMessageStore; inbox: DynamoDbInboxStore };
beforeAll(async () => {
  env = await startTestTable();
  const client = faultyClient(injector);
  faulty = {
    messages: new DynamoDbMessageStore(client, env.tableName),
    idempotency: new DynamoDbIdempotencyStore(client, env.tableName),
    inbox: new DynamoDbInboxStore(client, env.tableName),
    replies: new DynamoDbReplyRecorder(client, env.tableName),
  };
  direct = { messages: new DynamoDbMessageStore(env.client, env.tableName), inbox: new DynamoDbInboxStore(env.client, env.tableName) };
});
afterAll(() => env.close());

const KINDS = ['applied-then-retried', 'applied-then-lost'] as const;
const NOW = new Date('2026-11-29T12:00:00.000Z');
async function aStoredHead(overrides: Partial<NewMessageHead> = {}): Promise<NewMessageHead> {
  const head = aNewHead(overrides);
  await direct.messages.create(head, new Uint8Array([1, 2, 3]));
  return head;
}
const recipient = async (id: string) => (await direct.messages.getHead(id))?.recipients[0];

describe('DynamoDbMessageStore when an answer is lost', () => {
  it.each(KINDS)('stores a message whose head or chunk was written but whose answer was lost (%s)', async (kind) => {
    for (const target of ['MSG#/HEAD', 'MSG#/CHUNK']) {
      const head = aNewHead();
      loseAnswer(injector, 'PutItem', target, kind);

      await faulty.messages.create(head, new Uint8Array([1, 2, 3]));

      expect(injector.fired).toBeGreaterThan(0);
      expect(await direct.messages.getHead(head.id)).toMatchObject({ id: head.id, chunkCount: 1, ciphertextBytes: 3 });
    }
  });

  it('still refuses an id that holds another message, when the SDK retried the put', async () => {
    const head = await aStoredHead();
    loseAnswer(injector, 'PutItem', 'MSG#/HEAD', 'applied-then-retried');

    await expect(faulty.messages.create({ ...head, tenantId: 'other' }, new Uint8Array([9]))).rejects.toThrow(/could not be stored/);
    expect((await direct.messages.getHead(head.id))?.tenantId).toBe('acme');
  });

  it.each(KINDS)('counts an open whose answer was lost once, as the first of its window (%s)', async (kind) => {
    const head = await aStoredHead();
    loseAnswer(injector, 'TransactWriteItems', 'MSG#/HEAD', kind);

    const opened = await faulty.messages.recordOpen(head.id, 'r0', NOW, 'w1', undefined, AN_UNRECORDED_OPEN);

    expect(injector.fired).toBeGreaterThan(0);
    expect(opened).toEqual({ newWindow: true, views: 1 });
    expect((await recipient(head.id))?.opens).toBe(1);
  });

  it.each(KINDS)('gives a view-limited recipient the one view whose count\'s answer was lost (%s)', async (kind) => {
    const head = await aStoredHead({ maxViews: 1 });
    loseAnswer(injector, 'TransactWriteItems', 'MSG#/HEAD', kind);

    const opened = await faulty.messages.recordOpen(head.id, 'r0', NOW, 'w1', 1, AN_UNRECORDED_OPEN);
    injector.disarm();
    const again = await faulty.messages.recordOpen(head.id, 'r0', NOW, 'w1', 1, AN_UNRECORDED_OPEN);

    expect(opened).toEqual({ newWindow: true, views: 1 });
    expect(again).toBeUndefined();
    expect((await recipient(head.id))?.opens).toBe(1);
  });

  it.each(KINDS)('issues an email code, and uses it up for a grant, when the write\'s answer was lost (%s)', async (kind) => {
    const head = await aStoredHead({ verification: 'email-code' });
    const code = { hash: `code-${kind}`, expiresAt: '2026-11-29T12:10:00.000Z' };
    const grant = { hash: `grant-${kind}`, expiresAt: '2026-11-29T12:10:00.000Z' };

    loseAnswer(injector, 'UpdateItem', 'MSG#/HEAD', kind);
    const issued = await faulty.messages.issueCode(head.id, 'r0', code, NOW, VERIFICATION_POLICY);
    loseAnswer(injector, 'UpdateItem', 'MSG#/HEAD', kind);
    const consumed = await faulty.messages.consumeCode(head.id, 'r0', code.hash, grant, NOW, VERIFICATION_POLICY);

    expect([issued, consumed]).toEqual([true, true]);
    expect(await recipient(head.id)).toMatchObject({ codeSends: 1, grant: { hash: grant.hash } });
  });
});

describe('DynamoDbIdempotencyStore when an answer is lost', () => {
  it.each(KINDS)('treats its own claim whose answer was lost as new, not as another request in flight (%s)', async (kind) => {
    loseAnswer(injector, 'PutItem', 'IDEM#/IDEM', kind);

    const begun = await faulty.idempotency.begin('acme', `key-${kind}`, 'body', NOW);
    injector.disarm();
    const second = await faulty.idempotency.begin('acme', `key-${kind}`, 'body', NOW);

    expect(begun.state).toBe('new');
    expect(second).toEqual({ state: 'in-flight' });
  });

  it('frees only its own claim', async () => {
    injector.reset();
    const begun = await faulty.idempotency.begin('acme', 'key-release', 'body', NOW);

    await faulty.idempotency.release('acme', 'key-release', 'another-claim');
    const held = await faulty.idempotency.begin('acme', 'key-release', 'body', NOW);
    await faulty.idempotency.release('acme', 'key-release', begun.state === 'new' ? begun.claim : undefined);
    const freed = await faulty.idempotency.begin('acme', 'key-release', 'body', NOW);

    expect(held).toEqual({ state: 'in-flight' });
    expect(freed.state).toBe('new');
  });
});

describe('DynamoDbInboxStore when an answer is lost', () => {
  it.each(KINDS)('issues a sign-in code, redeems it and starts the session although each answer was lost (%s)', async (kind) => {
    const email = `lost-${kind}@example.com`;
    // The first, same-window write fails its condition for a new address; the second one issues.
    loseAnswer(injector, 'UpdateItem', 'SIGNIN#/SIGNIN', kind, 2);
    const issued = await faulty.inbox.issueCode('acme', email, 'code-hash', NOW, SIGN_IN_LIMITS);
    loseAnswer(injector, 'UpdateItem', 'SIGNIN#/SIGNIN', kind);
    const redeemed = await faulty.inbox.redeemCode('acme', email, 'code-hash', NOW, SIGN_IN_LIMITS);
    loseAnswer(injector, 'PutItem', 'SESSION#/SESSION', kind);
    const session = { tokenHash: `session-${kind}`, tenantId: 'acme', email, createdAt: NOW.toISOString(), lastSeenAt: NOW.toISOString(), expiresAt: '2026-11-30T00:00:00.000Z' };
    const created = await faulty.inbox.createSession(session);

    expect([issued, redeemed, created]).toEqual(['issued', 'ok', true]);
    expect(await direct.inbox.getSession(session.tokenHash)).toMatchObject({ email });
    injector.disarm();
    expect(await faulty.inbox.redeemCode('acme', email, 'code-hash', NOW, SIGN_IN_LIMITS), 'the code stays single use').toBe('wrong');
  });
});

describe('DynamoDbRecoveryStore when an answer is lost', () => {
  it.each(KINDS)('records a recovery link once and says so, although the answer of its append was lost (%s)', async (kind) => {
    const head = await aStoredHead({ custody: 'message-center' });
    const grant = { tokenHash: `issued-${kind}`, wrappedSecret: new Uint8Array([1, 2, 3]), unlocks: 'custody' as const, createdAt: NOW.toISOString(), expiresAt: '2026-11-30T12:00:00.000Z', createdBy: 'key:admin' };
    loseAnswer(injector, 'UpdateItem', 'MSG#/HEAD', kind);

    const added = await new DynamoDbRecoveryStore(faultyClient(injector), env.tableName).addRecovery(head.tenantId, head.id, grant, NOW, 5);

    expect(injector.fired).toBeGreaterThan(0);
    expect(added).toBe(true);
    expect((await direct.messages.getHead(head.id))?.recoveries?.map((r) => r.tokenHash)).toEqual([grant.tokenHash]);
    injector.disarm();
  });

  it.each(KINDS)('lets the holder of a recovery link use it although the answer of its one-time use was lost (%s)', async (kind) => {
    const head = await aStoredHead({ custody: 'message-center' });
    const recoveries = new DynamoDbRecoveryStore(env.client, env.tableName);
    const grant = { tokenHash: `grant-${kind}`, wrappedSecret: new Uint8Array([1, 2, 3]), unlocks: 'custody' as const, createdAt: NOW.toISOString(), expiresAt: '2026-11-30T12:00:00.000Z', createdBy: 'key:admin' };
    expect(await recoveries.addRecovery(head.tenantId, head.id, grant, NOW, 5)).toBe(true);
    loseAnswer(injector, 'UpdateItem', 'MSG#/HEAD', kind);

    const used = await new DynamoDbRecoveryStore(faultyClient(injector), env.tableName).useRecovery(head.id, 0, grant.tokenHash, NOW);

    expect(injector.fired).toBeGreaterThan(0);
    expect(used).toBe(true);
    injector.disarm();
    expect(await recoveries.useRecovery(head.id, 0, grant.tokenHash, NOW), 'the link stays single use').toBe(false);
  });
});

describe('DynamoDbReplyRecorder when an answer is lost', () => {
  it.each(KINDS)('counts a reply once and threads it once (%s)', async (kind) => {
    const head = await aStoredHead();

    loseAnswer(injector, 'UpdateItem', 'MSG#/HEAD', kind);
    const counted = await faulty.replies.countReply({ messageId: head.id, rid: 'r0', now: NOW, limit: 5, windowMs: 3_600_000 });
    loseAnswer(injector, 'UpdateItem', 'MSG#/HEAD', kind);
    const threaded = await faulty.replies.addReply(head.id, 'reply-1');

    expect([counted, threaded]).toEqual([{ status: 'counted' }, true]);
    const stored = await direct.messages.getHead(head.id);
    expect(stored?.recipients[0]?.replies).toBe(1);
    expect(stored?.replyIds).toEqual(['reply-1']);
  });
});
