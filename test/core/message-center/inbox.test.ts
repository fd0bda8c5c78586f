import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { MessageUnavailableError, UnauthorizedError } from '../../../functions/core/shared/index.ts';
import {
  SignInLockedError, authenticateSession, listInbox, newSignInCode, openFromInbox, requestSignIn, signOut, verifySignIn, type InboxDeps,
} from '../../../functions/core/message-center/index.ts';
import type { Tenant } from '../../../functions/core/tenants/index.ts';
import { aClock, aTenant } from '../../helpers/builders.ts';
import { CapturingLogger, InMemoryEventLog, InMemoryMessageStore, InMemoryTenantDirectory, RecordingNotifier } from '../../helpers/fakes.ts';
import { CountingKeyWrapper, InMemoryInboxStore, NO_PACE, messageIdOf, seedMessage } from '../../helpers/inbox-fakes.ts';

function setup(tenants: Tenant[] = [aTenant({ settings: { messageCenter: true } }), aTenant({ id: 'other', settings: { displayName: 'Other Org', senderAddress: 'x@other.example', messageCenter: true } })]) {
  const clock = aClock();
  const directory = new InMemoryTenantDirectory();
  for (const tenant of tenants) directory.tenants.set(tenant.id, tenant);
  const grants: { messageId: string; rid: string }[] = [];
  const deps = {
    inbox: new InMemoryInboxStore(),
    store: new InMemoryMessageStore(),
    tenants: directory,
    keys: new CountingKeyWrapper(),
    events: new InMemoryEventLog(clock),
    notifier: new RecordingNotifier(),
    clock,
    random: (n: number) => new Uint8Array(randomBytes(n)),
    logger: new CapturingLogger(),
    portalOrigin: 'https://portal.test',
    issueGrant: async (messageId: string, rid: string) => {
      grants.push({ messageId, rid });
      return 'G'.repeat(43);
    },
    pace: NO_PACE,
  } satisfies InboxDeps;
  return { deps, clock, grants };
}

type Deps = ReturnType<typeof setup>['deps'];

function codeFrom(deps: Deps, index = -1): string {
  const mail = deps.notifier.sent.at(index);
  const code = mail && /\b(\d{6})\b/.exec(mail.text)?.[1];
  if (!code) throw new Error('no code email');
  return code;
}

async function signIn(deps: Deps, email: string, tenantId = 'acme') {
  await requestSignIn(deps, tenantId, email);
  const { sessionToken } = await verifySignIn(deps, tenantId, email, codeFrom(deps));
  return { token: sessionToken, session: await authenticateSession(deps, sessionToken, tenantId, { touch: false }) };
}

describe('requestSignIn', () => {
  it('answers the same with and without messages, and emails a code only to the address that has one', async () => {
    const { deps } = setup();
    await seedMessage(deps, { id: messageIdOf('m1'), emails: ['alice@example.com'] });

    const withMessages = await requestSignIn(deps, 'acme', 'Alice@Example.com');
    const without = await requestSignIn(deps, 'acme', 'nobody@example.com');
    const unknownTenant = await requestSignIn(deps, 'nope', 'alice@example.com');

    expect(withMessages).toEqual({ sent: true });
    expect(without).toEqual(withMessages);
    expect(unknownTenant).toEqual(withMessages);
    expect(deps.notifier.sent.map((n) => n.to.email)).toEqual(['alice@example.com']);
  });

  it('answers no sooner than its pace whatever it did, so a slow code email and no email take the same time', async () => {
    const { deps, clock } = setup();
    await seedMessage(deps, { id: messageIdOf('m1'), emails: ['alice@example.com'] });
    // The email takes 300 ms of the clock; every other step none. The pace fills the rest.
    const send = deps.notifier.send.bind(deps.notifier);
    deps.notifier.send = async (mail) => { clock.set(new Date(clock().getTime() + 300).toISOString()); return send(mail); };
    const slept: number[] = [];
    const paced = { ...deps, pace: { ms: 1000, sleep: async (ms: number) => { slept.push(ms); clock.set(new Date(clock().getTime() + ms).toISOString()); } } };
    const took = async (email: string, tenantId = 'acme') => {
      const start = clock().getTime();
      await requestSignIn(paced, tenantId, email);
      return clock().getTime() - start;
    };

    const times = [await took('alice@example.com'), await took('nobody@example.com'), await took('alice@example.com', 'nope')];

    expect(deps.notifier.sent.map((n) => n.to.email)).toEqual(['alice@example.com']);
    expect(slept).toEqual([700, 1000, 1000]);
    expect(times).toEqual([1000, 1000, 1000]);
  });

  it('sends a branded email that holds the code and no link, and keeps the code out of the subject', async () => {
    const { deps } = setup();
    await seedMessage(deps, { id: messageIdOf('m1'), emails: ['alice@example.com'] });

    await requestSignIn(deps, 'acme', 'alice@example.com');
    const [mail] = deps.notifier.sent;
    const code = codeFrom(deps);

    expect(mail?.subject).toBe('Your sign-in code for Acme Health');
    expect(mail?.subject).not.toContain(code);
    expect(mail?.from).toEqual({ email: 'notices@acme.example', name: 'Acme Health' });
    expect(mail?.html).toContain(code);
    expect(`${mail?.text}${mail?.html}`).not.toMatch(/https?:\/\/|<a\s/i);
  });

  it('sends no code for an address whose only messages are revoked, expired, in standard mode or another tenant\'s', async () => {
    const { deps } = setup();
    const email = 'carol@example.com';
    await seedMessage(deps, { id: messageIdOf('revoked'), emails: [email], head: { state: 'revoked' } });
    await seedMessage(deps, { id: messageIdOf('expired'), emails: [email], expiresAt: '2026-11-29T11:59:00.000Z' });
    await seedMessage(deps, { id: messageIdOf('standard'), emails: [email], custody: 'link' });
    await seedMessage(deps, { id: messageIdOf('elsewhere'), emails: [email], tenantId: 'other' });

    await requestSignIn(deps, 'acme', email);

    expect(deps.notifier.sent).toEqual([]);
  });

  it('stores nothing for an unknown or disabled tenant, and answers the same', async () => {
    const { deps } = setup();
    const tenant = deps.tenants.tenants.get('other')!;
    deps.tenants.tenants.set('other', { ...tenant, disabled: true });
    await seedMessage(deps, { id: messageIdOf('m1'), emails: ['alice@example.com'], tenantId: 'other' });

    const answers = [await requestSignIn(deps, 'nope', 'alice@example.com'), await requestSignIn(deps, 'other', 'alice@example.com')];
    const verify = await verifySignIn(deps, 'other', 'alice@example.com', '123456').catch((e: unknown) => e);

    expect(answers).toEqual([{ sent: true }, { sent: true }]);
    expect(verify).toBeInstanceOf(UnauthorizedError);
    expect(deps.inbox.signIns.size).toBe(0);
    expect(deps.notifier.sent).toEqual([]);
  });

  it('sends no second code within 30 seconds, and answers the same', async () => {
    const { deps, clock } = setup();
    await seedMessage(deps, { id: messageIdOf('m1'), emails: ['alice@example.com'] });

    await requestSignIn(deps, 'acme', 'alice@example.com');
    const second = await requestSignIn(deps, 'acme', 'alice@example.com');
    clock.set('2026-11-29T12:00:31.000Z');
    await requestSignIn(deps, 'acme', 'alice@example.com');

    expect(second).toEqual({ sent: true });
    expect(deps.notifier.sent).toHaveLength(2);
  });
});

describe('verifySignIn', () => {
  it('starts a session for the right code, once, and stores only the token\'s hash', async () => {
    const { deps } = setup();
    await seedMessage(deps, { id: messageIdOf('m1'), emails: ['alice@example.com'] });
    await requestSignIn(deps, 'acme', 'alice@example.com');
    const code = codeFrom(deps);

    const { sessionToken, expiresAt } = await verifySignIn(deps, 'acme', 'ALICE@example.com', code);
    const reused = await verifySignIn(deps, 'acme', 'alice@example.com', code).catch((e: unknown) => e);

    expect(sessionToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(expiresAt).toBe('2026-11-30T00:00:00.000Z');
    expect(reused).toBeInstanceOf(UnauthorizedError);
    expect(JSON.stringify([...deps.inbox.sessions.entries()])).not.toContain(sessionToken);
    expect([...deps.inbox.sessions.values()][0]).toMatchObject({ tenantId: 'acme', email: 'alice@example.com' });
  });

  it('refuses a code after ten minutes', async () => {
    const { deps, clock } = setup();
    await seedMessage(deps, { id: messageIdOf('m1'), emails: ['alice@example.com'] });
    await requestSignIn(deps, 'acme', 'alice@example.com');

    clock.set('2026-11-29T12:10:01.000Z');

    await expect(verifySignIn(deps, 'acme', 'alice@example.com', codeFrom(deps))).rejects.toBeInstanceOf(UnauthorizedError);
  });

  it('answers a wrong code the same whether or not the address has messages, and locks both after five', async () => {
    const { deps } = setup();
    await seedMessage(deps, { id: messageIdOf('m1'), emails: ['alice@example.com'] });
    await requestSignIn(deps, 'acme', 'alice@example.com');
    await requestSignIn(deps, 'acme', 'nobody@example.com');
    const wrong = codeFrom(deps) === '000000' ? '000001' : '000000';

    const errors = async (email: string) => {
      const out: unknown[] = [];
      for (let i = 0; i < 5; i++) out.push(await verifySignIn(deps, 'acme', email, wrong).catch((e: unknown) => e));
      return out.map((e) => [(e as Error).constructor.name, (e as { detail: string }).detail]);
    };

    const alice = await errors('alice@example.com');
    const nobody = await errors('nobody@example.com');

    expect(alice).toEqual(nobody);
    expect(alice.slice(0, 4).every(([name]) => name === 'UnauthorizedError')).toBe(true);
    expect(alice[4]?.[0]).toBe(SignInLockedError.name);
  });

  it('makes six-digit codes with every digit position in use', () => {
    const codes = Array.from({ length: 200 }, () => newSignInCode((n) => new Uint8Array(randomBytes(n))));

    expect(codes.every((c) => /^\d{6}$/.test(c))).toBe(true);
    expect(new Set(codes.map((c) => c[0])).size).toBeGreaterThan(5);
  });
});

describe('sessions', () => {
  it('ends after 30 idle minutes, and refuses another tenant\'s inbox', async () => {
    const { deps, clock } = setup();
    await seedMessage(deps, { id: messageIdOf('m1'), emails: ['alice@example.com'] });
    const { token } = await signIn(deps, 'alice@example.com');

    const otherTenant = await authenticateSession(deps, token, 'other', { touch: false }).catch((e: unknown) => e);
    clock.set('2026-11-29T12:29:00.000Z');
    await authenticateSession(deps, token, 'acme', { touch: true });
    clock.set('2026-11-29T12:58:00.000Z');
    const stillActive = await authenticateSession(deps, token, 'acme', { touch: false });
    clock.set('2026-11-29T13:00:00.000Z');
    const idle = await authenticateSession(deps, token, 'acme', { touch: false }).catch((e: unknown) => e);

    expect(otherTenant).toBeInstanceOf(UnauthorizedError);
    expect(stillActive.email).toBe('alice@example.com');
    expect(idle).toBeInstanceOf(UnauthorizedError);
  });

  it('ends on sign-out', async () => {
    const { deps } = setup();
    await seedMessage(deps, { id: messageIdOf('m1'), emails: ['alice@example.com'] });
    const { token } = await signIn(deps, 'alice@example.com');

    await signOut(deps, token);

    await expect(authenticateSession(deps, token, 'acme', { touch: false })).rejects.toBeInstanceOf(UnauthorizedError);
    expect(deps.inbox.sessions.size).toBe(0);
  });
});

describe('listInbox', () => {
  it('lists only the signed-in address\'s available messages of that tenant, newest first, with read, replied, label and attachments', async () => {
    const { deps } = setup();
    const alice = 'alice@example.com';
    const ids = {
      older: messageIdOf('older'), newer: messageIdOf('newer'), bobs: messageIdOf('bobs'), revoked: messageIdOf('revoked'),
      expired: messageIdOf('expired'), standard: messageIdOf('standard'), elsewhere: messageIdOf('elsewhere'),
    };
    await seedMessage(deps, { id: ids.older, emails: ['bob@example.com', 'ALICE@example.com'], createdAt: '2026-11-20T10:00:00.000Z' });
    await seedMessage(deps, { id: ids.newer, emails: [alice], createdAt: '2026-11-28T10:00:00.000Z', head: { label: 'Lab results', attachments: { count: 2, bytes: 2048 } } });
    await seedMessage(deps, { id: ids.bobs, emails: ['bob@example.com'] });
    await seedMessage(deps, { id: ids.revoked, emails: [alice], head: { state: 'revoked' } });
    await seedMessage(deps, { id: ids.expired, emails: [alice], expiresAt: '2026-11-29T11:00:00.000Z' });
    await seedMessage(deps, { id: ids.standard, emails: [alice], custody: 'link' });
    await seedMessage(deps, { id: ids.elsewhere, emails: [alice], tenantId: 'other' });
    const older = deps.store.heads.get(ids.older)!;
    deps.store.heads.set(ids.older, { ...older, recipients: older.recipients.map((r) => (r.rid === 'r1' ? { ...r, opens: 2, replies: 1 } : r)) });
    const { session } = await signIn(deps, alice);

    const items = await listInbox(deps, session);

    expect(items).toEqual([
      { id: ids.newer, sender: 'Acme Health', createdAt: '2026-11-28T10:00:00.000Z', expiresAt: '2026-12-13T11:00:00.000Z', read: false, replied: false, label: 'Lab results', attachments: { count: 2, bytes: 2048 } },
      { id: ids.older, sender: 'Acme Health', createdAt: '2026-11-20T10:00:00.000Z', expiresAt: '2026-12-13T11:00:00.000Z', read: true, replied: true },
    ]);
  });

  it('keeps listing messages kept for the inbox after Message Center is turned off, and does not keep new ones', async () => {
    const { deps } = setup();
    await seedMessage(deps, { id: messageIdOf('kept'), emails: ['alice@example.com'] });
    const tenant = deps.tenants.tenants.get('acme')!;
    deps.tenants.tenants.set('acme', { ...tenant, settings: { ...tenant.settings, messageCenter: false } });
    await seedMessage(deps, { id: messageIdOf('after'), emails: ['alice@example.com'], custody: 'link' });
    const { session } = await signIn(deps, 'alice@example.com');

    const items = await listInbox(deps, session);

    expect(items.map((i) => i.id)).toEqual([messageIdOf('kept')]);
  });
});

describe('openFromInbox', () => {
  it('unwraps only the signed-in recipient\'s secret with one KMS call, records it and obtains a grant', async () => {
    const { deps, grants } = setup();
    const id = messageIdOf('shared');
    const [bob, alice] = await seedMessage(deps, { id, emails: ['bob@example.com', 'alice@example.com'] });
    const { session } = await signIn(deps, 'Alice@Example.com');
    deps.keys.unwrapCalls = 0;

    const opened = await openFromInbox(deps, session, id, { sourceIp: '203.0.113.9', userAgent: 'test' });

    expect(opened).toEqual({ secret: alice?.secret, grant: 'G'.repeat(43) });
    expect(opened.secret).not.toBe(bob?.secret);
    expect(deps.keys.unwrapCalls).toBe(1);
    expect(grants).toEqual([{ messageId: id, rid: 'r1' }]);
    expect(deps.events.events.filter((e) => e.type === 'unwrapped')).toEqual([expect.objectContaining({
      messageId: id, tenantId: 'acme', actor: 'inbox:r1', recipient: 'alice@example.com', sourceIp: '203.0.113.9',
    })]);
    expect(JSON.stringify(deps.events.events)).not.toContain(alice!.secret);
  });

  it('answers "not available" for a message the address is not a recipient of, another tenant\'s, or one in standard mode', async () => {
    const { deps } = setup();
    await seedMessage(deps, { id: messageIdOf('alices'), emails: ['alice@example.com'] });
    await seedMessage(deps, { id: messageIdOf('bobs'), emails: ['bob@example.com'] });
    await seedMessage(deps, { id: messageIdOf('elsewhere'), emails: ['alice@example.com'], tenantId: 'other' });
    await seedMessage(deps, { id: messageIdOf('standard'), emails: ['alice@example.com'], custody: 'link' });
    const { session } = await signIn(deps, 'alice@example.com');
    deps.keys.unwrapCalls = 0;

    for (const label of ['bobs', 'elsewhere', 'standard', 'missing']) {
      await expect(openFromInbox(deps, session, messageIdOf(label))).rejects.toBeInstanceOf(MessageUnavailableError);
    }
    await expect(openFromInbox(deps, session, '../etc')).rejects.toBeInstanceOf(MessageUnavailableError);
    expect(deps.keys.unwrapCalls).toBe(0);
    expect(deps.events.events.filter((e) => e.type === 'unwrapped')).toEqual([]);
  });

  it('answers "not available" once the message is revoked or expired', async () => {
    const { deps, clock } = setup();
    const id = messageIdOf('soon');
    await seedMessage(deps, { id, emails: ['alice@example.com'], expiresAt: '2026-11-29T12:20:00.000Z' });
    const { session } = await signIn(deps, 'alice@example.com');

    clock.set('2026-11-29T12:20:00.000Z');

    await expect(openFromInbox(deps, session, id)).rejects.toBeInstanceOf(MessageUnavailableError);
  });
});
