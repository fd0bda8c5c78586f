/**
 * Verification beyond the link, through the routes (fakes with the store's conditional semantics):
 * email codes, grants, passcodes, lockout and resend limits (docs/protocol.md §5.4).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createApp } from '../../functions/http/app.ts';
import { apiGroup } from '../../functions/http/api-routes.ts';
import { portalGroup } from '../../functions/http/portal-routes.ts';
import { deriveAccessToken, deriveLinkToken, deriveMessageKey } from '../../functions/core/protocol/index.ts';
import { issueGrant, openMessage } from '../../functions/core/pickup/index.ts';
import { cachedTenantReads } from '../../functions/core/tenants/index.ts';
import type { SendRequest } from '../../functions/http/schemas.ts';
import { TEST_WEB, aSendRequest, aTenant, buildTestApp, parseLink, sendJson } from '../helpers/builders.ts';

type Ctx = Awaited<ReturnType<typeof buildTestApp>>;
type Problem = { type: string; status: number; detail: string; requestId: string; attemptsLeft?: number; retryAfter?: number; sentTo?: string; expiresAt?: string };

const MINUTE = 60_000;

async function setup(tenantVerification: 'none' | 'email-code' = 'email-code') {
  const ctx = await buildTestApp({ tenants: [aTenant({ settings: { verification: tenantVerification } })] });
  const advance = (ms: number) => ctx.clock.set(new Date(ctx.clock().getTime() + ms).toISOString());
  const post = (path: string, body: unknown) => ctx.app.request(path, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  /** Sends a message to alice and bob; returns alice's credentials. */
  const send = async (overrides: Partial<SendRequest> = {}) => {
    const { passcode } = overrides;
    const res = await sendJson(ctx.app, ctx.keys.acme, aSendRequest({ to: ['alice@example.com', 'bob@example.com'], ...overrides }));
    expect(res.status).toBe(201);
    const { id } = await res.json() as { id: string };
    const links = ctx.deps.notifier.sent.filter((n) => n.reference.messageId === id && n.subject.endsWith('sent you a secure message')).map((n) => parseLink(n.text));
    const credentials = async (secret: string, typed = passcode) => {
      const key = await deriveMessageKey(secret, typed);
      return { key, link: await deriveLinkToken(secret), token: await deriveAccessToken(key) };
    };
    return { id, links, alice: await credentials(links[0]!.secret), credentials };
  };
  const codeEmails = (email = 'alice@example.com') => ctx.deps.notifier.sent.filter((n) => n.to.email === email && n.subject.includes('your code'));
  const lastCode = (email = 'alice@example.com') => /^\s+(\d{6})$/m.exec(codeEmails(email).at(-1)?.text ?? '')?.[1] ?? 'none';
  const open = (id: string, body: Record<string, unknown>) => post(`/m/${id}/open`, body);
  const resend = (id: string, body: Record<string, unknown>) => post(`/m/${id}/code`, body);
  const recipient = (id: string, rid = 'r0') => ctx.deps.store.heads.get(id)!.recipients.find((r) => r.rid === rid)!;
  const types = (id: string) => ctx.deps.events.events.filter((e) => e.messageId === id && !['created', 'notified'].includes(e.type)).map((e) => e.type);
  return { ...ctx, advance, post, send, codeEmails, lastCode, open, resend, recipient, types };
}

async function expectProblem(res: Response, status: number, kind: string): Promise<Problem> {
  expect(res.status).toBe(status);
  expect(res.headers.get('Content-Type')).toBe('application/problem+json');
  const body = await res.json() as Problem;
  expect(body.type).toBe(`urn:sealpost:problem:${kind}`);
  return body;
}

async function decrypt(ctx: Ctx, res: Response, key: string): Promise<string> {
  return new TextDecoder().decode(await ctx.deps.sealer.open(new Uint8Array(await res.arrayBuffer()), key));
}

describe('email code', () => {
  it('emails a 6-digit code (and no link) and answers 403 verification-required when opened without one', async () => {
    const t = await setup();
    const { id, alice } = await t.send();

    const res = await t.open(id, { link: alice.link, token: alice.token });

    const body = await expectProblem(res, 403, 'verification-required');
    expect(body.sentTo).toBe('a•••@example.com');
    expect(body.expiresAt).toBe(new Date(t.clock().getTime() + 10 * MINUTE).toISOString());
    const [email] = t.codeEmails();
    expect(t.codeEmails()).toHaveLength(1);
    expect(email?.subject).toBe('Acme Health — your code to open a secure message');
    expect(email?.reference).toEqual({ messageId: id, rid: 'r0' });
    expect(`${email?.text}${email?.html}`).not.toMatch(/https?:|href=/);
    expect(t.lastCode()).toMatch(/^\d{6}$/);
    expect(t.recipient(id).code?.hash).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(JSON.stringify(t.deps.store.heads.get(id))).not.toContain(t.lastCode());
    expect(t.recipient(id).opens).toBe(0);
    expect(t.types(id)).toEqual(['code_sent']);
    expect(t.deps.events.events.find((e) => e.type === 'code_sent')).toMatchObject({ actor: 'recipient:r0', recipient: 'alice@example.com' });
  });

  it('opens with the right code, hands out a grant, and records "verified" then "opened"', async () => {
    const t = await setup();
    const { id, alice } = await t.send();
    await t.open(id, { link: alice.link, token: alice.token });

    const res = await t.open(id, { link: alice.link, token: alice.token, code: t.lastCode() });

    expect(res.status).toBe(200);
    expect(res.headers.get('Sealpost-Grant')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(await decrypt(t, res, alice.key)).toContain('Your results are ready.');
    expect(t.types(id)).toEqual(['code_sent', 'verified', 'opened']);
    expect(t.recipient(id).code).toBeUndefined();
    expect(t.recipient(id).grant?.hash).not.toBe(res.headers.get('Sealpost-Grant'));
  });

  it('uses a code once: the same code a second time is a wrong code', async () => {
    const t = await setup();
    const { id, alice } = await t.send();
    await t.open(id, { link: alice.link, token: alice.token });
    const code = t.lastCode();
    expect((await t.open(id, { link: alice.link, token: alice.token, code })).status).toBe(200);

    const again = await expectProblem(await t.open(id, { link: alice.link, token: alice.token, code }), 403, 'code-wrong');

    expect(again.attemptsLeft).toBe(4);
  });

  it('lets a code expire after 10 minutes', async () => {
    const t = await setup();
    const { id, alice } = await t.send();
    await t.open(id, { link: alice.link, token: alice.token });
    const code = t.lastCode();

    t.advance(10 * MINUTE);
    const late = await t.open(id, { link: alice.link, token: alice.token, code });

    expect((await expectProblem(late, 403, 'code-wrong')).attemptsLeft).toBe(4);
    expect(t.recipient(id).opens).toBe(0);
  });

  it('accepts a code a moment before it expires', async () => {
    const t = await setup();
    const { id, alice } = await t.send();
    await t.open(id, { link: alice.link, token: alice.token });

    t.advance(10 * MINUTE - 1000);
    const res = await t.open(id, { link: alice.link, token: alice.token, code: t.lastCode() });

    expect(res.status).toBe(200);
  });

  it('counts wrong codes, locks the recipient for 15 minutes after the fifth (even against the right code), then unlocks', async () => {
    const t = await setup();
    const { id, alice } = await t.send();
    await t.open(id, { link: alice.link, token: alice.token });
    const right = t.lastCode();
    const wrong = right === '000000' ? '000001' : '000000';

    const left: (number | undefined)[] = [];
    for (let i = 0; i < 4; i++) left.push((await expectProblem(await t.open(id, { link: alice.link, token: alice.token, code: wrong }), 403, 'code-wrong')).attemptsLeft);
    const fifth = await t.open(id, { link: alice.link, token: alice.token, code: wrong });
    const lockedBody = await expectProblem(fifth, 429, 'locked');
    const rightWhileLocked = await t.open(id, { link: alice.link, token: alice.token, code: right });
    const other = await t.send();
    const otherWorks = await t.open(other.id, { link: other.alice.link, token: other.alice.token });

    expect(left).toEqual([4, 3, 2, 1]);
    expect(lockedBody.retryAfter).toBe(900);
    expect(fifth.headers.get('Retry-After')).toBe('900');
    expect((await expectProblem(rightWhileLocked, 429, 'locked')).retryAfter).toBe(900);
    await expectProblem(otherWorks, 403, 'verification-required'); // the lock is per recipient of a message
    expect(t.types(id)).toEqual(['code_sent', ...Array(5).fill('verification_failed'), 'locked']);
    expect(t.deps.events.events.filter((e) => e.type === 'verification_failed').map((e) => e.detail)).toEqual(
      [4, 3, 2, 1, 0].map((n) => `code; ${n} attempts left`));

    t.advance(14 * MINUTE);
    expect((await expectProblem(await t.open(id, { link: alice.link, token: alice.token }), 429, 'locked')).retryAfter).toBe(60);
    t.advance(MINUTE);
    await expectProblem(await t.open(id, { link: alice.link, token: alice.token }), 403, 'verification-required');
    const opened = await t.open(id, { link: alice.link, token: alice.token, code: t.lastCode() });
    expect(opened.status).toBe(200);
    expect(t.recipient(id).failures).toBe(0);
  });

  it('limits new codes to one per 30 seconds and five per hour', async () => {
    const t = await setup();
    const { id, alice } = await t.send();
    const creds = { link: alice.link, token: alice.token };

    await expectProblem(await t.open(id, creds), 403, 'verification-required');
    const tooSoon = await t.resend(id, creds);
    const tooSoonBody = await expectProblem(tooSoon, 429, 'code-rate-limited');
    const afterOpenTooSoon = await expectProblem(await t.open(id, creds), 429, 'code-rate-limited');
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) {
      t.advance(30_000);
      statuses.push((await t.resend(id, creds)).status);
    }
    t.advance(30_000);
    const sixth = await expectProblem(await t.resend(id, creds), 429, 'code-rate-limited');

    expect(tooSoonBody.retryAfter).toBe(30);
    expect(tooSoon.headers.get('Retry-After')).toBe('30');
    expect(afterOpenTooSoon.retryAfter).toBe(30);
    expect(statuses).toEqual([403, 403, 403, 403]);
    expect(sixth.retryAfter).toBe(3600 - 150);
    expect(t.codeEmails()).toHaveLength(5);
    expect(t.types(id)).toEqual(Array(5).fill('code_sent'));

    t.advance(3600_000 - 150_000);
    await expectProblem(await t.resend(id, creds), 403, 'verification-required');
    expect(t.codeEmails()).toHaveLength(6);
  });

  it('makes a re-sent code replace the previous one', async () => {
    const t = await setup();
    const { id, alice } = await t.send();
    const creds = { link: alice.link, token: alice.token };
    await t.open(id, creds);
    const first = t.lastCode();
    t.advance(30_000);
    await t.resend(id, creds);
    const second = t.lastCode();

    const old = await t.open(id, { ...creds, code: first });
    const fresh = await t.open(id, { ...creds, code: second });

    expect(second).not.toBe(first); // one chance in a million to be equal
    await expectProblem(old, 403, 'code-wrong');
    expect(fresh.status).toBe(200);
  });

  it('answers a code request for a message that needs none with 409, and sends nothing', async () => {
    const t = await setup('none');
    const { id, alice } = await t.send();

    await expectProblem(await t.resend(id, { link: alice.link, token: alice.token }), 409, 'conflict');

    expect(t.codeEmails()).toHaveLength(0);
  });

  it('answers 503 when the code email cannot be sent, and records no code_sent', async () => {
    const t = await setup();
    const { id, alice } = await t.send();
    t.deps.notifier.reject.add('alice@example.com');

    await expectProblem(await t.open(id, { link: alice.link, token: alice.token }), 503, 'dependency');

    expect(t.types(id)).toEqual([]);
    expect(t.deps.logger.lines.some((l) => l.includes('code_send_failed'))).toBe(true);
  });

  it('follows the message\'s override of the tenant setting, both ways', async () => {
    const strict = await setup('none');
    const lax = await setup('email-code');
    const a = await strict.send({ verification: 'email-code' });
    const b = await lax.send({ verification: 'none' });
    const c = await lax.send();

    const aRes = await strict.open(a.id, { link: a.alice.link, token: a.alice.token });
    const bRes = await lax.open(b.id, { link: b.alice.link, token: b.alice.token });
    const cRes = await lax.open(c.id, { link: c.alice.link, token: c.alice.token });

    await expectProblem(aRes, 403, 'verification-required');
    expect(bRes.status).toBe(200);
    await expectProblem(cRes, 403, 'verification-required');
    expect(strict.deps.store.heads.get(a.id)?.verification).toBe('email-code');
    expect(lax.deps.store.heads.get(b.id)?.verification).toBe('none');
  });

  it('refuses a malformed code as a 422 and changes nothing', async () => {
    const t = await setup();
    const { id, alice } = await t.send();
    await t.open(id, { link: alice.link, token: alice.token });
    const before = JSON.stringify(t.deps.store.heads.get(id));

    const res = await t.open(id, { link: alice.link, token: alice.token, code: '12345' });

    await expectProblem(res, 422, 'validation');
    expect(JSON.stringify(t.deps.store.heads.get(id))).toBe(before);
  });

  it('gives at most 5 answers to 20 parallel wrong codes, and one success to 20 parallel right codes', async () => {
    const t = await setup();
    const { id, alice } = await t.send();
    await t.open(id, { link: alice.link, token: alice.token });
    const right = t.lastCode();
    const wrong = right === '999999' ? '999998' : '999999';
    const creds = { link: alice.link, token: alice.token };

    const guesses = await Promise.all(Array.from({ length: 20 }, () => t.open(id, { ...creds, code: wrong })));
    const kinds = await Promise.all(guesses.map(async (r) => (await r.json() as Problem).type.split(':').pop()));
    t.advance(15 * MINUTE);
    await t.open(id, creds);
    const code = t.lastCode();
    const rights = await Promise.all(Array.from({ length: 20 }, () => t.open(id, { ...creds, code })));

    expect(kinds.filter((k) => k === 'code-wrong').length).toBeLessThanOrEqual(5);
    expect(kinds.filter((k) => k !== 'code-wrong').every((k) => k === 'locked')).toBe(true);
    expect(t.recipient(id).failures).toBe(0);
    expect(rights.filter((r) => r.status === 200)).toHaveLength(1);
    expect(rights.filter((r) => r.status !== 200).every((r) => r.status === 403)).toBe(true);
    expect(t.recipient(id).opens).toBe(1);
  });
});

describe('grants', () => {
  it('lets later parts through with the grant only: no grant, a wrong or an expired one is "not available" and sends no code', async () => {
    const t = await setup();
    const { id, alice } = await t.send();
    t.deps.store.partBytes = 100;
    const creds = { link: alice.link, token: alice.token };
    await t.open(id, creds);
    const first = await t.open(id, { ...creds, code: t.lastCode() });
    const grant = first.headers.get('Sealpost-Grant')!;
    const parts = Number(first.headers.get('Sealpost-Parts'));

    const rest = await Promise.all(Array.from({ length: parts - 1 }, (_, i) => t.open(id, { ...creds, grant, part: i + 1 })));
    const without = await t.open(id, { ...creds, part: 1 });
    const withCode = await t.open(id, { ...creds, code: '123456', part: 1 });
    const wrong = await t.open(id, { ...creds, grant: 'A'.repeat(43), part: 1 });
    t.advance(10 * MINUTE);
    const expired = await t.open(id, { ...creds, grant, part: 1 });

    expect(parts).toBeGreaterThan(2);
    expect(rest.map((r) => r.status)).toEqual(Array(parts - 1).fill(200));
    const all = Buffer.concat(await Promise.all([first, ...rest].map(async (r) => Buffer.from(await r.arrayBuffer()))));
    expect(new TextDecoder().decode(await t.deps.sealer.open(new Uint8Array(all), alice.key))).toContain('Your results are ready.');
    for (const res of [without, withCode, wrong, expired]) await expectProblem(res, 404, 'message-unavailable');
    expect(t.codeEmails()).toHaveLength(1);
    expect(t.recipient(id).failures ?? 0).toBe(0);
  });

  it('opens part 0 again with a valid grant, without a new code', async () => {
    const t = await setup();
    const { id, alice } = await t.send();
    const creds = { link: alice.link, token: alice.token };
    await t.open(id, creds);
    const grant = (await t.open(id, { ...creds, code: t.lastCode() })).headers.get('Sealpost-Grant')!;

    const again = await t.open(id, { ...creds, grant });

    expect(again.status).toBe(200);
    expect(again.headers.get('Sealpost-Grant')).toBeNull();
    expect(t.codeEmails()).toHaveLength(1);
    expect(t.recipient(id).opens).toBe(2);
  });

  it('does not let one recipient\'s grant open another recipient\'s pickup', async () => {
    const t = await setup();
    const { id, alice, links, credentials } = await t.send();
    await t.open(id, { link: alice.link, token: alice.token });
    const grant = (await t.open(id, { link: alice.link, token: alice.token, code: t.lastCode() })).headers.get('Sealpost-Grant')!;
    const bob = await credentials(links[1]!.secret);

    const res = await t.open(id, { link: bob.link, token: bob.token, grant });

    await expectProblem(res, 403, 'verification-required');
    expect(t.codeEmails('bob@example.com')).toHaveLength(1);
  });

  it('issueGrant (a Message Center sign-in) lets the recipient open without a code', async () => {
    const t = await setup();
    const { id, alice } = await t.send();

    const grant = await issueGrant(t.deps, id, 'r0', t.clock());
    const res = await t.open(id, { link: alice.link, token: alice.token, grant });

    expect(res.status).toBe(200);
    expect(t.codeEmails()).toHaveLength(0);
    await expect(issueGrant(t.deps, 'AAAAAAAAAAAAAAAAAAAAAA', 'r0', t.clock())).rejects.toThrow(/not available/);
  });
});

describe('passcode', () => {
  const PASSCODE = '1970-01-31';

  it('opens with the right passcode (as typed, give or take white space), and the key decrypts', async () => {
    const t = await setup('none');
    const { id, alice, links, credentials } = await t.send({ passcode: PASSCODE });
    const typed = await credentials(links[0]!.secret, `  ${PASSCODE} `);

    const res = await t.open(id, { link: typed.link, token: typed.token });

    expect(res.status).toBe(200);
    expect(await decrypt(t, res, alice.key)).toContain('Your results are ready.');
    await expect(t.deps.sealer.open(new Uint8Array(8), links[0]!.secret)).rejects.toThrow();
    expect(t.deps.store.heads.get(id)?.passcode).toBe(true);
  });

  it('cannot be decrypted with the link alone', async () => {
    const t = await setup('none');
    const { id, alice, links } = await t.send({ passcode: PASSCODE });
    const res = await t.open(id, { link: alice.link, token: alice.token });
    const ciphertext = new Uint8Array(await res.arrayBuffer());

    await expect(t.deps.sealer.open(ciphertext, links[0]!.secret)).rejects.toThrow();
  });

  it('counts wrong passcodes against the recipient and locks after five', async () => {
    const t = await setup('none');
    const { id, links, credentials } = await t.send({ passcode: PASSCODE });
    const wrong = await credentials(links[0]!.secret, '1970-01-30');
    const right = await credentials(links[0]!.secret);

    const answers: (number | undefined)[] = [];
    for (let i = 0; i < 4; i++) answers.push((await expectProblem(await t.open(id, { link: wrong.link, token: wrong.token }), 403, 'passcode-wrong')).attemptsLeft);
    await expectProblem(await t.open(id, { link: wrong.link, token: wrong.token }), 429, 'locked');
    const rightWhileLocked = await t.open(id, { link: right.link, token: right.token });
    t.advance(15 * MINUTE);
    const later = await t.open(id, { link: right.link, token: right.token });

    expect(answers).toEqual([4, 3, 2, 1]);
    await expectProblem(rightWhileLocked, 429, 'locked');
    expect(later.status).toBe(200);
    expect(t.deps.events.events.filter((e) => e.type === 'verification_failed').map((e) => e.detail)).toEqual(
      [4, 3, 2, 1, 0].map((n) => `passcode; ${n} attempts left`));
  });

  it('without the link token, a wrong passcode is just "not available" (the recipient cannot be identified)', async () => {
    const t = await setup('none');
    const { id, links, credentials } = await t.send({ passcode: PASSCODE });
    const wrong = await credentials(links[0]!.secret, 'nope');

    await expectProblem(await t.open(id, { token: wrong.token }), 404, 'message-unavailable');

    expect(t.recipient(id).failures).toBeUndefined();
  });

  it('never opens without the link token, even with the right passcode, so passcodes cannot be guessed uncounted', async () => {
    const t = await setup('none');
    const { id, links, credentials } = await t.send({ passcode: PASSCODE });
    const right = await credentials(links[0]!.secret);

    await expectProblem(await t.open(id, { token: right.token }), 404, 'message-unavailable');
    await expectProblem(await t.post(`/m/${id}/reply`, { token: right.token, subject: 'Re: x', text: 'y' }), 404, 'message-unavailable');
  });

  it('refuses a right passcode while the recipient is locked, even when the lock landed after the request read the message', async () => {
    const t = await setup('none');
    const { id, links, credentials } = await t.send({ passcode: PASSCODE });
    const right = await credentials(links[0]!.secret);
    const stale = t.deps.store.heads.get(id)!;
    // Five wrong answers from a parallel burst are recorded; this request still holds the earlier read.
    const locked = { ...stale, recipients: stale.recipients.map((r) => r.rid === 'r0' ? { ...r, failures: 5, lastFailureAt: t.clock().toISOString() } : r) };
    t.deps.store.heads.set(id, locked);
    const getHead = t.deps.store.getHead.bind(t.deps.store);
    let reads = 0;
    t.deps.store.getHead = async (messageId) => (messageId === id && reads++ === 0 ? stale : getHead(messageId));
    const early = await t.open(id, { link: right.link, token: right.token });
    t.deps.store.getHead = getHead;

    await expectProblem(early, 429, 'locked');
    expect(t.recipient(id).opens).toBe(0);
  });

  it('closes a disabled tenant\'s messages to their links', async () => {
    const t = await setup('none');
    const { id, alice } = await t.send();
    await t.deps.tenants.setDisabled('acme', true);

    await expectProblem(await t.open(id, { link: alice.link, token: alice.token }), 404, 'message-unavailable');
    await t.deps.tenants.setDisabled('acme', false);
    expect((await t.open(id, { link: alice.link, token: alice.token })).status).toBe(200);
  });

  it('reads a named tenant with the message on the recipient\'s own path too, and not while the portal holds that tenant', async () => {
    const t = await setup('none');
    const [first, second] = [await t.send(), await t.send()];
    const read = t.deps.tenants.getTenant.bind(t.deps.tenants);
    const reads: string[] = [];
    t.deps.tenants.getTenant = async (tenantId) => { reads.push(tenantId); return read(tenantId); };
    // The portal's directory, which remembers tenants (core/tenants/cached.ts); openMessage: no recovery store in the way.
    const deps = { ...t.deps, tenants: cachedTenantReads(t.deps.tenants, t.clock) };

    await openMessage(deps, first.id, { link: first.alice.link, token: first.alice.token }, { tenantHint: 'acme' });
    expect(t.deps.store.tenantsReadWithHead).toEqual(['acme']);
    expect(reads).toEqual([]);
    // Kept from that read: the next open reads neither the tenant nor it with the message.
    await openMessage(deps, second.id, { link: second.alice.link, token: second.alice.token }, { tenantHint: 'acme' });
    expect(t.deps.store.tenantsReadWithHead).toEqual(['acme']);
    expect(reads).toEqual([]);
    expect([t.recipient(first.id).opens, t.recipient(second.id).opens]).toEqual([1, 1]);
    // Another tenant named: read, set aside, and not kept — a request cannot fill the memory.
    t.deps.tenants.tenants.set('other', aTenant({ id: 'other' }));
    const third = await t.send();
    await openMessage(deps, third.id, { link: third.alice.link, token: third.alice.token }, { tenantHint: 'other' });
    expect(t.deps.store.tenantsReadWithHead).toEqual(['acme', 'other']);
    expect(deps.tenants.holds('other')).toBe(false);
    expect(t.recipient(third.id).opens).toBe(1);
  });

  it('reads the tenant its page names with the message, and trusts it only as the message\'s own tenant', async () => {
    const t = await setup('none');
    const [first, second, third] = [await t.send(), await t.send(), await t.send()];
    const read = t.deps.tenants.getTenant.bind(t.deps.tenants);
    const reads: string[] = [];
    t.deps.tenants.getTenant = async (tenantId) => { reads.push(tenantId); return read(tenantId); };

    // The message's own tenant, as its page names it: read with the head, and not again.
    expect((await t.open(first.id, { link: first.alice.link, token: first.alice.token, tenant: 'acme' })).status).toBe(200);
    expect(t.deps.store.tenantsReadWithHead).toEqual(['acme']);
    expect(reads).toEqual([]);
    // Another tenant named: that read is set aside, and the message's own tenant read as ever.
    expect((await t.open(second.id, { link: second.alice.link, token: second.alice.token, tenant: 'other' })).status).toBe(200);
    expect(reads).toEqual(['acme']);
    // Its own tenant, disabled: closed, and nothing counted.
    await t.deps.tenants.setDisabled('acme', true);
    await expectProblem(await t.open(third.id, { link: third.alice.link, token: third.alice.token, tenant: 'acme' }), 404, 'message-unavailable');
    expect(t.recipient(third.id).opens).toBe(0);
    // Another, enabled tenant named for a disabled tenant's message: its read is set aside, so still closed.
    t.deps.tenants.tenants.set('other', aTenant({ id: 'other' }));
    await expectProblem(await t.open(third.id, { link: third.alice.link, token: third.alice.token, tenant: 'other' }), 404, 'message-unavailable');
    expect(t.recipient(third.id).opens).toBe(0);
    // Not a tenant id: refused (422), before anything is read.
    await t.deps.tenants.setDisabled('acme', false);
    const before = t.deps.store.tenantsReadWithHead.length;
    await expectProblem(await t.open(third.id, { link: third.alice.link, token: third.alice.token, tenant: 'TENANT#acme' }), 422, 'validation');
    expect(t.deps.store.tenantsReadWithHead).toHaveLength(before);
    expect(t.recipient(third.id).opens).toBe(0);
  });

  it('checks the passcode before a code is sent', async () => {
    const t = await setup('email-code');
    const { id, links, credentials } = await t.send({ passcode: PASSCODE });
    const wrong = await credentials(links[0]!.secret, 'nope');
    const right = await credentials(links[0]!.secret);

    await expectProblem(await t.open(id, { link: wrong.link, token: wrong.token }), 403, 'passcode-wrong');
    expect(t.codeEmails()).toHaveLength(0);
    await expectProblem(await t.open(id, { link: right.link, token: right.token }), 403, 'verification-required');
    const res = await t.open(id, { link: right.link, token: right.token, code: t.lastCode() });

    expect(res.status).toBe(200);
    expect(await decrypt(t, res, right.key)).toContain('Your results are ready.');
  });

  it('tells the recipient a passcode is needed, never what it is, and keeps it nowhere', async () => {
    const t = await setup('none');
    const { id } = await t.send({ passcode: 'Unusual-PASS 42' });

    const [notification] = t.deps.notifier.sent;
    expect(notification?.text).toContain('To open it you will also need the passcode Acme Health gave you.');
    expect(notification?.html).toContain('To open it you will also need the passcode Acme Health gave you.');
    const kept = JSON.stringify([...t.deps.store.heads.values(), t.deps.events.events, t.deps.logger.lines, t.deps.notifier.sent]);
    expect(kept).not.toContain('Unusual-PASS');
    expect(t.deps.store.heads.get(id)?.recipients.every((r) => r.linkTokenHash !== undefined && r.linkTokenHash !== r.tokenHash)).toBe(true);
  });

  it('tells the recipient of a message that needs both a passcode and a code about both', async () => {
    const t = await setup('email-code');

    await t.send({ passcode: 'Unusual-PASS 42' });

    const [notification] = t.deps.notifier.sent;
    const both = 'To open it you will also need the passcode Acme Health gave you, and a 6-digit code that we email you when you open it.';
    expect(notification?.text).toContain(both);
    expect(notification?.html).toContain(both);
  });

  it('refuses an empty, blank, too long or control-character passcode, and an unknown verification, when sending', async () => {
    const t = await setup();
    const bodies = [{ passcode: '' }, { passcode: '   ' }, { passcode: 'x'.repeat(101) }, { passcode: 'a\nb' }, { verification: 'sms' }];

    const answers = await Promise.all(bodies.map((extra) => sendJson(t.app, t.keys.acme, { ...aSendRequest(), ...extra })));

    expect(answers.map((r) => r.status)).toEqual([422, 422, 422, 422, 422]);
    expect(t.deps.store.heads.size).toBe(0);
  });
});

describe('identification and the rest of the contract', () => {
  it('still opens a message stored without link token hashes by the token alone, and a link that matches nobody falls back to the token', async () => {
    const t = await setup('none');
    const { id, alice } = await t.send();
    const head = t.deps.store.heads.get(id)!;
    t.deps.store.heads.set(id, { ...head, recipients: head.recipients.map(({ linkTokenHash: _l, ...r }) => r) });

    expect((await t.open(id, { token: alice.token })).status).toBe(200);
    expect((await t.open(id, { link: alice.link, token: alice.token })).status).toBe(200);
  });

  it('answers "not available" for a right link with a wrong token on a message without passcode, counting nothing', async () => {
    const t = await setup('none');
    const { id, alice } = await t.send();

    await expectProblem(await t.open(id, { link: alice.link, token: 'A'.repeat(43) }), 404, 'message-unavailable');

    expect(t.recipient(id).failures).toBeUndefined();
  });

  it('answers GET on the code and open addresses with 405, and GET /m/:id changes nothing', async () => {
    const t = await setup();
    const { id, alice } = await t.send({ passcode: 'x' });
    await t.open(id, { link: alice.link, token: alice.token });
    const before = JSON.stringify([[...t.deps.store.heads.entries()], t.deps.events.events, t.deps.notifier.sent.length]);

    const answers = await Promise.all([t.app.request(`/m/${id}/code`), t.app.request(`/m/${id}/open`), t.app.request(`/m/${id}`)]);

    expect(answers.map((r) => r.status)).toEqual([405, 405, 200]);
    expect(answers[0]!.headers.get('Allow')).toBe('POST');
    expect(JSON.stringify([[...t.deps.store.heads.entries()], t.deps.events.events, t.deps.notifier.sent.length])).toBe(before);
  });

  it('never puts a code, token, link token, grant or passcode in a problem body or a log line', async () => {
    const t = await setup('email-code');
    const { id, links, credentials } = await t.send({ passcode: 'Pass-ABC-123' });
    const right = await credentials(links[0]!.secret);
    const wrong = await credentials(links[0]!.secret, 'Wrong-XYZ-789');
    const bodies: string[] = [];
    const keep = async (res: Response) => { bodies.push(await res.clone().text()); return res; };

    await keep(await t.open(id, { link: wrong.link, token: wrong.token }));
    await keep(await t.open(id, { link: right.link, token: right.token }));
    const code = t.lastCode();
    await keep(await t.open(id, { link: right.link, token: right.token, code: code === '000000' ? '000001' : '000000' }));
    await keep(await t.resend(id, { link: right.link, token: right.token }));
    const grant = (await t.open(id, { link: right.link, token: right.token, code })).headers.get('Sealpost-Grant')!;
    await keep(await t.open(id, { link: right.link, token: right.token, grant, part: 7 }));

    const haystack = bodies.join('\n') + t.deps.logger.lines.join('\n') + JSON.stringify(t.deps.events.events);
    for (const needle of [code, right.token, right.link, wrong.token, grant, 'Pass-ABC-123', 'Wrong-XYZ-789', right.key, links[0]!.secret]) {
      expect(haystack).not.toContain(needle);
    }
    expect(bodies).toHaveLength(5);
  });
});

/** The real page template, as web/build.ts copies it. */
const PICKUP_HTML = readFileSync(new URL('../../web/pickup.html', import.meta.url), 'utf8');

describe('GET /m/:id page facts', () => {
  async function portal() {
    const t = await setup('none');
    const app = createApp({ logger: t.deps.logger, api: t.deps, portal: { ...t.deps, web: { ...TEST_WEB, pickupPage: PICKUP_HTML } } }, apiGroup, portalGroup);
    return { ...t, page: async (id: string) => (await app.request(`/m/${id}`)).text() };
  }

  it('puts a labelled passcode field in the page of a passcode message, and the custody sentence in every live message\'s page', async () => {
    const t = await portal();
    const withPasscode = (await t.send({ passcode: 'x' })).id;
    const without = (await t.send()).id;

    const a = await t.page(withPasscode);
    const b = await t.page(without);

    expect(a).toContain('<label for="passcode-input">Passcode</label><span class="input-with-action"><input id="passcode-input" name="passcode" type="password"');
    expect(a).toContain('Capital letters count.');
    expect(b).not.toContain('passcode-input');
    for (const page of [a, b]) {
      expect(page).toContain('<p class="fineprint custody">Only the link in your email can open this message.</p>');
      expect(page).toContain('<meta name="pickup-message" content="live" data-kind="message" data-tenant="acme">');
    }
    expect(a.match(/sealpost/gi)).toEqual(['sealpost']);
  });

  it('names the tenant\'s Message Center (escaped) when the message is in its custody', async () => {
    const t = await portal();
    await t.deps.tenants.updateSettings('acme', 1, { ...t.deps.tenants.tenants.get('acme')!.settings, displayName: '<b>Acme</b> & Co' });
    const { id } = await t.send();
    const head = t.deps.store.heads.get(id)!;
    t.deps.store.heads.set(id, { ...head, custody: 'message-center' });

    const page = await t.page(id);

    expect(page).toContain('<p class="fineprint custody">&lt;b&gt;Acme&lt;/b&gt; &amp; Co&#39;s Message Center can also open this message.</p>');
  });

  it('says only "unavailable", the same for an unknown, malformed, revoked or expired message, and fills nothing else', async () => {
    const t = await portal();
    const { id } = await t.send({ passcode: 'x', expiresInDays: 1 });
    const revoked = (await t.send()).id;
    await t.app.request(`/v1/messages/${revoked}`, { method: 'DELETE', headers: { Authorization: `Bearer ${t.keys.acme}` } });

    const unknown = await t.page('AAAAAAAAAAAAAAAAAAAAAA');
    const malformed = await t.page('not-an-id');
    const gone = await t.page(revoked);
    t.advance(2 * 86_400_000);
    const expired = await t.page(id);

    const unavailable = PICKUP_HTML.replace('<!--page:state--><!--/page:state-->', '<meta name="pickup-message" content="unavailable">');
    expect(new Set([unknown, malformed, gone, expired])).toEqual(new Set([unavailable]));
    expect(PICKUP_HTML).toContain('<!--page:passcode--><!--/page:passcode-->');
  });

  it('tells a reply by who wrote it: a recipient\'s reply to the organisation, or the organisation\'s answer', async () => {
    const t = await portal();
    const { id } = await t.send();
    const head = t.deps.store.heads.get(id)!;
    t.deps.store.heads.set(id, { ...head, inReplyTo: 'BBBBBBBBBBBBBBBBBBBBBB' });
    const toTenant = await t.page(id);
    t.deps.store.heads.set(id, { ...head, inReplyTo: 'BBBBBBBBBBBBBBBBBBBBBB', replyFrom: 'tenant' });
    const fromTenant = await t.page(id);

    expect(toTenant).toContain('data-kind="reply-to-tenant"');
    expect(fromTenant).toContain('data-kind="reply-from-tenant"');
  });
});
