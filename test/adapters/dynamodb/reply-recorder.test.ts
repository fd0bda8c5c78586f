/**
 * The reply recorder on dynalite, and its in-memory fake held to the same contract (the fake is
 * what the core tests trust).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDbMessageStore } from '../../../functions/adapters/dynamodb/message-store.ts';
import { DynamoDbReplyRecorder } from '../../../functions/adapters/dynamodb/reply-recorder.ts';
import type { MessageStore, NewMessageHead } from '../../../functions/core/messages/index.ts';
import type { ReplyRecorder } from '../../../functions/core/replies/index.ts';
import { startTestTable } from '../../helpers/dynamo.ts';
import { aNewHead } from '../../helpers/builders.ts';
import { InMemoryMessageStore } from '../../helpers/fakes.ts';
import { InMemoryReplyRecorder } from '../../helpers/reply-fakes.ts';

let env: Awaited<ReturnType<typeof startTestTable>>;
beforeAll(async () => { env = await startTestTable(); });
afterAll(() => env.close());

const HOUR = 60 * 60 * 1000;
const T0 = new Date('2026-11-30T10:00:00.000Z');
const at = (ms: number) => new Date(T0.getTime() + ms);

/** A head with two notified recipients, Alice having opened it. */
function aHead(overrides: Partial<NewMessageHead> = {}): NewMessageHead {
  return aNewHead({
    recipients: [
      { rid: 'r0', email: 'alice@example.com', kind: 'to', tokenHash: 'h0', status: 'notified', opens: 1 },
      { rid: 'r1', email: 'bob@example.com', kind: 'to', tokenHash: 'h1', status: 'notified', opens: 0 },
    ],
    ...overrides,
  });
}

const implementations: [string, () => { store: MessageStore; replies: ReplyRecorder }][] = [
  ['DynamoDbReplyRecorder', () => ({ store: new DynamoDbMessageStore(env.client, env.tableName), replies: new DynamoDbReplyRecorder(env.client, env.tableName) })],
  ['InMemoryReplyRecorder (fake)', () => {
    const store = new InMemoryMessageStore();
    return { store, replies: new InMemoryReplyRecorder(store) };
  }],
];

describe.each(implementations)('%s', (_name, make) => {
  async function aStoredMessage(overrides: Partial<NewMessageHead> = {}) {
    const { store, replies } = make();
    const head = aHead(overrides);
    await store.create(head, new Uint8Array([1]));
    const count = (now: Date, rid = 'r0', windowStart?: string) =>
      replies.countReply({ messageId: head.id, rid, now, limit: 5, windowMs: HOUR, ...(windowStart ? { windowStart } : {}) });
    return { store, replies, head, count };
  }

  describe('countReply', () => {
    it('counts exactly 5 of 20 parallel replies when the limit is 5', async () => {
      const { store, head, count } = await aStoredMessage();

      const results = await Promise.all(Array.from({ length: 20 }, () => count(T0)));

      expect(results.filter((r) => r.status === 'counted')).toHaveLength(5);
      expect(results.filter((r) => r.status === 'limited')).toHaveLength(15);
      expect((await store.getHead(head.id))?.recipients[0]).toMatchObject({ replies: 5, replyWindowStart: T0.toISOString() });
      expect((await store.getHead(head.id))?.recipients[1]?.replies).toBeUndefined();
    });

    it('still counts exactly 5 of 20 parallel replies when their hint says a window is open that has ended', async () => {
      const { store, head, count } = await aStoredMessage();
      for (let i = 0; i < 5; i++) await count(T0);

      const later = at(HOUR + 1);
      const results = await Promise.all(Array.from({ length: 20 }, () => count(later, 'r0', at(HOUR).toISOString())));

      expect(results.filter((r) => r.status === 'counted')).toHaveLength(5);
      expect((await store.getHead(head.id))?.recipients[0]).toMatchObject({ replies: 5, replyWindowStart: later.toISOString() });
    });

    it('refuses the sixth reply in the hour with the start of the window, and counts again once the hour is over', async () => {
      const { store, head, count } = await aStoredMessage();
      for (let i = 0; i < 5; i++) expect(await count(at(i * 60_000))).toEqual({ status: 'counted' });

      expect(await count(at(HOUR - 1), 'r0', T0.toISOString())).toEqual({ status: 'limited', windowStart: T0.toISOString() });
      expect(await count(at(HOUR), 'r0', T0.toISOString())).toEqual({ status: 'counted' });

      expect((await store.getHead(head.id))?.recipients[0]).toMatchObject({ replies: 1, replyWindowStart: at(HOUR).toISOString() });
    });

    it('counts each recipient separately', async () => {
      const { count } = await aStoredMessage();
      for (let i = 0; i < 5; i++) await count(T0, 'r0');

      expect(await count(T0, 'r1')).toEqual({ status: 'counted' });
      expect((await count(T0, 'r0')).status).toBe('limited');
    });

    it('reports the message unavailable when it was revoked', async () => {
      const { store, head, count } = await aStoredMessage();
      await store.revoke('acme', head.id, T0);

      expect(await count(T0)).toEqual({ status: 'unavailable' });
    });

    it('reports the message unavailable when it has expired', async () => {
      const { count } = await aStoredMessage({ expiresAt: T0.toISOString() });

      expect(await count(T0)).toEqual({ status: 'unavailable' });
    });

    it('reports the message unavailable when it or the recipient does not exist', async () => {
      const { replies, count } = await aStoredMessage();

      expect(await replies.countReply({ messageId: 'rplnone00000000000000000', rid: 'r0', now: T0, limit: 5, windowMs: HOUR })).toEqual({ status: 'unavailable' });
      expect(await count(T0, 'r7')).toEqual({ status: 'unavailable' });
    });
  });

  describe('addReply', () => {
    it('appends reply ids in order when the original exists', async () => {
      const { store, replies, head } = await aStoredMessage();

      expect(await replies.addReply(head.id, 'reply-one')).toBe(true);
      expect(await replies.addReply(head.id, 'reply-two')).toBe(true);

      expect((await store.getHead(head.id))?.replyIds).toEqual(['reply-one', 'reply-two']);
    });

    it('creates nothing when the original is gone', async () => {
      const { store, replies } = await aStoredMessage();

      expect(await replies.addReply('rplgone00000000000000000', 'reply-one')).toBe(false);

      expect(await store.getHead('rplgone00000000000000000')).toBeUndefined();
    });
  });
});
