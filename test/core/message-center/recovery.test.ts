import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { deriveLinkToken, hashAccessToken, unwrapRecoveredSecret } from '../../../functions/core/protocol/index.ts';
import {
  STANDARD_MODE_REASON, MAX_RECOVERIES, openRecovery, recoverMessage, type RecoveryDeps,
} from '../../../functions/core/message-center/index.ts';
import { ConflictError, ForbiddenError, NotFoundError } from '../../../functions/core/shared/index.ts';
import type { Principal } from '../../../functions/core/tenants/index.ts';
import { aClock, aTenant } from '../../helpers/builders.ts';
import { CapturingLogger, InMemoryEventLog, InMemoryMessageStore } from '../../helpers/fakes.ts';
import { CountingKeyWrapper, InMemoryRecoveryStore, messageIdOf, seedMessage } from '../../helpers/inbox-fakes.ts';

function setup() {
  const clock = aClock();
  const store = new InMemoryMessageStore();
  const deps = {
    store,
    recoveries: new InMemoryRecoveryStore(store),
    keys: new CountingKeyWrapper(),
    events: new InMemoryEventLog(clock),
    clock,
    random: (n: number) => new Uint8Array(randomBytes(n)),
    logger: new CapturingLogger(),
    portalOrigin: 'https://portal.test',
  } satisfies RecoveryDeps;
  return { deps, clock, store };
}

const admin: Principal = { tenant: aTenant(), keyId: '0123456789abcdef', scope: 'admin' };

/** What the pickup page sends for a link: the hash of the link token of the fragment's secret. */
async function linkHashOf(url: string): Promise<{ r: string; linkHash: string }> {
  const r = new URL(url).hash.replace(/^#recover:/, '');
  return { r, linkHash: await hashAccessToken(await deriveLinkToken(r)) };
}

async function errorOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(() => undefined, (e: unknown) => e);
}

describe('recoverMessage', () => {
  it('answers 409 with the reason for a standard-mode message, without calling KMS', async () => {
    const { deps } = setup();
    const id = messageIdOf('standard');
    await seedMessage(deps, { id, emails: ['alice@example.com'], custody: 'link' });

    const error = await errorOf(recoverMessage(deps, admin, id));

    expect(error).toBeInstanceOf(ConflictError);
    expect((error as ConflictError).detail).toBe('This message was sent in standard mode: its key was never stored, so it cannot be recovered.');
    expect((error as ConflictError).detail).toBe(STANDARD_MODE_REASON);
    expect(deps.keys.unwrapCalls).toBe(0);
  });

  it('answers 404 for another tenant\'s message, an unknown id and a malformed one', async () => {
    const { deps } = setup();
    const id = messageIdOf('theirs');
    await seedMessage(deps, { id, emails: ['alice@example.com'], tenantId: 'other' });

    const errors = await Promise.all([recoverMessage(deps, admin, id), recoverMessage(deps, admin, messageIdOf('unknown')), recoverMessage(deps, admin, 'x/..')].map(errorOf));

    expect(errors.map((e) => e?.constructor)).toEqual([NotFoundError, NotFoundError, NotFoundError]);
    expect((deps.store.heads.get(id)?.recoveries ?? [])).toEqual([]);
  });

  it('refuses a key without the admin scope', async () => {
    const { deps } = setup();
    const id = messageIdOf('kept');
    await seedMessage(deps, { id, emails: ['alice@example.com'] });

    expect(await errorOf(recoverMessage(deps, { ...admin, scope: 'send' }, id))).toBeInstanceOf(ForbiddenError);
  });

  it('issues a link to the portal valid 24 hours that unlocks the custody key, never a recipient\'s secret, and keeps R out of storage, events and logs', async () => {
    const { deps, store } = setup();
    const id = messageIdOf('kept');
    const seeded = await seedMessage(deps, { id, emails: ['alice@example.com', 'bob@example.com'] });
    const first = seeded[0];
    deps.keys.unwrapCalls = 0;

    const link = await recoverMessage(deps, admin, id, { sourceIp: '198.51.100.7', userAgent: 'console' });
    const { r, linkHash } = await linkHashOf(link.url);
    const grant = store.heads.get(id)?.recoveries?.[0];
    const unlocked = await unwrapRecoveredSecret(r, grant!.wrappedSecret);

    expect(link.url).toMatch(new RegExp(`^https://portal\\.test/m/${id}#recover:[A-Za-z0-9_-]{43}$`));
    expect(link.expiresAt).toBe('2026-11-30T12:00:00.000Z');
    expect(deps.keys.unwrapCalls).toBe(1);
    expect(grant).toMatchObject({ tokenHash: linkHash, unlocks: 'custody', createdAt: '2026-11-29T12:00:00.000Z', expiresAt: link.expiresAt, createdBy: 'key:0123456789abcdef' });
    expect(grant?.rid).toBeUndefined();
    expect(unlocked).toBe(seeded.custodyKey);
    expect(seeded.map((s) => s.secret)).not.toContain(unlocked);
    expect(deps.events.events).toEqual([expect.objectContaining({
      messageId: id, tenantId: 'acme', type: 'recovered', actor: 'key:0123456789abcdef', detail: 'recovery link issued', after: { expiresAt: link.expiresAt }, sourceIp: '198.51.100.7',
    })]);
    const everything = JSON.stringify([[...store.heads.values()], deps.events.events, deps.logger.lines], (_k, v: unknown) => (v instanceof Uint8Array ? Buffer.from(v).toString('base64url') : v));
    expect(everything).not.toContain(r);
    expect(everything).not.toContain(first!.secret);
  });

  it('unlocks the first recipient\'s secret for a message sent before custody keys, so such messages stay recoverable', async () => {
    const { deps, store } = setup();
    const id = messageIdOf('legacy');
    const [first] = await seedMessage(deps, { id, emails: ['alice@example.com'], legacy: true });

    const link = await recoverMessage(deps, admin, id);
    const grant = store.heads.get(id)?.recoveries?.[0];

    expect(grant).toMatchObject({ unlocks: 'recipient', rid: 'r0' });
    expect(await unwrapRecoveredSecret((await linkHashOf(link.url)).r, grant!.wrappedSecret)).toBe(first?.secret);
  });

  it('ends the link at the message\'s expiry when that comes sooner', async () => {
    const { deps } = setup();
    const id = messageIdOf('soon');
    await seedMessage(deps, { id, emails: ['alice@example.com'], expiresAt: '2026-11-29T18:00:00.000Z' });

    expect((await recoverMessage(deps, admin, id)).expiresAt).toBe('2026-11-29T18:00:00.000Z');
  });

  it('refuses a revoked or expired message, and a sixth link', async () => {
    const { deps } = setup();
    const revoked = messageIdOf('revoked');
    const expired = messageIdOf('expired');
    const busy = messageIdOf('busy');
    await seedMessage(deps, { id: revoked, emails: ['alice@example.com'], head: { state: 'revoked' } });
    await seedMessage(deps, { id: expired, emails: ['alice@example.com'], expiresAt: '2026-11-29T11:00:00.000Z' });
    await seedMessage(deps, { id: busy, emails: ['alice@example.com'] });
    for (let i = 0; i < MAX_RECOVERIES; i++) await recoverMessage(deps, admin, busy);

    const errors = await Promise.all([recoverMessage(deps, admin, revoked), recoverMessage(deps, admin, expired), recoverMessage(deps, admin, busy)].map(errorOf));

    expect(errors.map((e) => e?.constructor)).toEqual([ConflictError, ConflictError, ConflictError]);
    expect(deps.store.heads.get(busy)?.recoveries).toHaveLength(MAX_RECOVERIES);
  });
});

describe('openRecovery', () => {
  async function recovered() {
    const env = setup();
    const id = messageIdOf('kept');
    const seeded = await seedMessage(env.deps, { id, emails: ['alice@example.com'] });
    const link = await recoverMessage(env.deps, admin, id);
    return { ...env, id, custodyKey: seeded.custodyKey, ...(await linkHashOf(link.url)) };
  }
  const headOf = (store: InMemoryMessageStore, id: string) => store.heads.get(id)!;

  it('opens once: part 0 returns the wrapped custody key that R unwraps, a second part 0 gets nothing', async () => {
    const { deps, store, id, custodyKey, r, linkHash, clock } = await recovered();
    clock.set('2026-11-29T13:00:00.000Z');

    const opened = await openRecovery(deps, headOf(store, id), linkHash, clock(), 0, { sourceIp: '192.0.2.1' });
    const again = await openRecovery(deps, headOf(store, id), linkHash, clock(), 0);

    expect(opened?.unlocks).toBe('custody');
    expect(await unwrapRecoveredSecret(r, opened!.wrappedSecret)).toBe(custodyKey);
    expect(again).toBeUndefined();
    expect(headOf(store, id).recoveries?.[0]?.usedAt).toBe('2026-11-29T13:00:00.000Z');
    expect(deps.events.events.at(-1)).toMatchObject({ type: 'recovered', actor: 'recovery:0', detail: 'recovery link opened', sourceIp: '192.0.2.1' });
  });

  it('serves later parts for 10 minutes after the open, and none before it', async () => {
    const { deps, store, id, linkHash, clock } = await recovered();

    const before = await openRecovery(deps, headOf(store, id), linkHash, clock(), 1);
    await openRecovery(deps, headOf(store, id), linkHash, clock(), 0);
    clock.set('2026-11-29T12:09:00.000Z');
    const within = await openRecovery(deps, headOf(store, id), linkHash, clock(), 1);
    clock.set('2026-11-29T12:10:00.000Z');
    const after = await openRecovery(deps, headOf(store, id), linkHash, clock(), 1);

    expect(before).toBeUndefined();
    expect(within?.unlocks).toBe('custody');
    expect(after).toBeUndefined();
  });

  it('refuses after 24 hours, and for a link token of no grant', async () => {
    const { deps, store, id, linkHash, clock } = await recovered();
    const stranger = await hashAccessToken(await deriveLinkToken(Buffer.from(randomBytes(32)).toString('base64url')));

    const wrongLink = await openRecovery(deps, headOf(store, id), stranger, clock(), 0);
    clock.set('2026-11-30T12:00:00.000Z');
    const late = await openRecovery(deps, headOf(store, id), linkHash, clock(), 0);

    expect(wrongLink).toBeUndefined();
    expect(late).toBeUndefined();
    expect(headOf(store, id).recoveries?.[0]?.usedAt).toBeUndefined();
  });
});
