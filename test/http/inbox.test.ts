/** The inbox page and API, and the admin recovery route, through the app with fakes. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { adminRecoveryRoutes } from '../../functions/http/routes/admin-recovery.ts';
import { inboxRoutes } from '../../functions/http/routes/inbox.ts';
import { CONTENT_SECURITY_POLICY } from '../../functions/http/middleware/security-headers.ts';
import { aTenant, buildTestApp } from '../helpers/builders.ts';
import { CountingKeyWrapper, InMemoryInboxStore, InMemoryRecoveryStore, NO_PACE, messageIdOf, seedMessage } from '../helpers/inbox-fakes.ts';

const INBOX_PAGE = readFileSync(new URL('../../web/inbox.html', import.meta.url), 'utf8');
const ORIGIN = 'http://localhost';
const COOKIE = /^__Host-sealpost_inbox=([A-Za-z0-9_-]{43}); HttpOnly; Secure; SameSite=Strict; Path=\/; Max-Age=43200$/;

async function setup() {
  const t = await buildTestApp({
    ownCustodyRoutes: true,
    tenants: [
      aTenant({ settings: { messageCenter: true, portalHostnames: ['inbox.acme.example'], brand: { primaryColor: '#0b5394' } } }),
      aTenant({ id: 'other', settings: { displayName: 'Other Org', senderAddress: 'x@other.example', messageCenter: true } }),
    ],
  });
  t.deps.tenants.hosts.set('inbox.acme.example', 'acme');
  const inbox = new InMemoryInboxStore();
  const keys = new CountingKeyWrapper();
  const recoveries = new InMemoryRecoveryStore(t.deps.store);
  const shared = { store: t.deps.store, events: t.deps.events, clock: t.clock, random: t.deps.random, logger: t.deps.logger, portalOrigin: 'https://portal.test', keys };
  t.app.route('/', inboxRoutes({ ...shared, inbox, tenants: t.deps.tenants, notifier: t.deps.notifier, inboxWeb: { inboxPage: INBOX_PAGE }, issueGrant: async () => 'G'.repeat(43), pace: NO_PACE }));
  t.app.route('/v1/admin', adminRecoveryRoutes({ ...shared, recoveries }));
  return { ...t, inbox, wrapper: keys };
}

type Env = Awaited<ReturnType<typeof setup>>;

const post = (app: Env['app'], path: string, body: unknown, headers: Record<string, string> = {}) =>
  app.request(path, { method: 'POST', headers: { 'Content-Type': 'application/json', Origin: ORIGIN, ...headers }, body: JSON.stringify(body) });

async function signIn(env: Env, email = 'alice@example.com'): Promise<{ cookie: string; token: string; setCookie: string; verifyBody: string }> {
  await post(env.app, '/inbox/api/acme/sign-in', { email });
  const code = /\b(\d{6})\b/.exec(env.deps.notifier.sent.at(-1)?.text ?? '')?.[1];
  const response = await post(env.app, '/inbox/api/acme/verify', { email, code });
  const setCookie = response.headers.get('Set-Cookie') ?? '';
  const token = COOKIE.exec(setCookie)?.[1] ?? '';
  return { cookie: `__Host-sealpost_inbox=${token}`, token, setCookie, verifyBody: await response.text() };
}

function snapshot(env: Env): string {
  return JSON.stringify([[...env.deps.store.heads.entries()], env.deps.events.events, [...env.inbox.sessions.entries()], [...env.inbox.signIns.entries()], env.deps.notifier.sent.length],
    (_k, v: unknown) => (v instanceof Uint8Array ? Buffer.from(v).toString('base64') : v));
}

describe('inbox page', () => {
  it('serves the page branded by the tenant in the path, uncached, under the global CSP, without inline style or script', async () => {
    const env = await setup();

    const response = await env.app.request('/inbox/acme');
    const html = await response.text();

    expect(response.status).toBe(200);
    expect(response.headers.get('Cache-Control')).toBe('no-store');
    expect(response.headers.get('Content-Security-Policy')).toBe(CONTENT_SECURITY_POLICY);
    expect(html).toContain('<title>Secure inbox · Acme Health</title>');
    expect(html).toContain('<meta name="sealpost-tenant" content="acme">');
    expect(html).toContain('<link rel="stylesheet" href="/brand/acme/theme.css?v=1">');
    expect(html).not.toMatch(/\sstyle=|<script(?![^>]*\ssrc=)/i);
  });

  it('gives /inbox/<tenant> to that tenant on any hostname, /inbox on a tenant\'s hostname to that tenant, and is neutral without either', async () => {
    const env = await setup();

    const otherOnAcmeHost = await (await env.app.request('http://inbox.acme.example/inbox/other')).text();
    const viaViewerHost = await (await env.app.request('https://abc.execute-api.eu-west-1.amazonaws.com/inbox/other', { headers: { 'X-Sealpost-Viewer-Host': 'inbox.acme.example' } })).text();
    const acmeByHost = await (await env.app.request('http://inbox.acme.example/inbox')).text();
    const neutral = await (await env.app.request('/inbox')).text();
    const unknown = await (await env.app.request('/inbox/nope')).text();

    expect(otherOnAcmeHost).toContain('<meta name="sealpost-tenant" content="other">');
    expect(otherOnAcmeHost).not.toContain('Acme');
    expect(viaViewerHost).toContain('<meta name="sealpost-tenant" content="other">');
    expect(acmeByHost).toContain('<meta name="sealpost-tenant" content="acme">');
    expect(neutral).toBe(INBOX_PAGE);
    expect(unknown).toBe(INBOX_PAGE);
  });

  it('changes nothing on GET, of the page or of the list, signed in or not', async () => {
    const env = await setup();
    await seedMessage({ ...env.deps, inbox: env.inbox, keys: env.wrapper }, { id: messageIdOf('m1'), emails: ['alice@example.com'] });
    const { cookie } = await signIn(env);
    env.clock.set('2026-11-29T12:05:00.000Z');
    const before = snapshot(env);

    for (const path of ['/inbox', '/inbox/acme', '/inbox/api/acme/messages', `/inbox/api/acme/messages/${messageIdOf('m1')}/open`]) {
      await env.app.request(path, { headers: { Cookie: cookie } });
    }

    expect(snapshot(env)).toBe(before);
  });
});

describe('inbox API', () => {
  it('answers 202 {sent: true} for any address, and emails a code only to one with messages', async () => {
    const env = await setup();
    await seedMessage({ ...env.deps, inbox: env.inbox, keys: env.wrapper }, { id: messageIdOf('m1'), emails: ['alice@example.com'] });

    const responses = await Promise.all(['alice@example.com', 'nobody@example.com'].map((email) => post(env.app, '/inbox/api/acme/sign-in', { email })));

    expect(responses.map((r) => r.status)).toEqual([202, 202]);
    expect(await Promise.all(responses.map((r) => r.json()))).toEqual([{ sent: true }, { sent: true }]);
    expect(env.deps.notifier.sent.map((n) => n.to.email)).toEqual(['alice@example.com']);
  });

  it('sets the session cookie __Host-, HttpOnly, Secure, SameSite=Strict, and never shows the token in a body or a log', async () => {
    const env = await setup();
    await seedMessage({ ...env.deps, inbox: env.inbox, keys: env.wrapper }, { id: messageIdOf('m1'), emails: ['alice@example.com'] });

    const { setCookie, token, verifyBody, cookie } = await signIn(env);
    const list = await env.app.request('/inbox/api/acme/messages', { headers: { Cookie: cookie } });
    const listBody = await list.text();

    expect(setCookie).toMatch(COOKIE);
    expect(verifyBody).toBe('');
    expect(list.status).toBe(200);
    expect(JSON.parse(listBody)).toEqual({ messages: [expect.objectContaining({ id: messageIdOf('m1'), sender: 'Acme Health', read: false, replied: false })] });
    expect(listBody).not.toContain(token);
    expect(env.deps.logger.lines.join('\n')).not.toContain(token);
  });

  it('answers 401 problem+json without a session, with a forged one, and for another tenant\'s inbox', async () => {
    const env = await setup();
    await seedMessage({ ...env.deps, inbox: env.inbox, keys: env.wrapper }, { id: messageIdOf('m1'), emails: ['alice@example.com'] });
    const { cookie } = await signIn(env);

    const responses = [
      await env.app.request('/inbox/api/acme/messages'),
      await env.app.request('/inbox/api/acme/messages', { headers: { Cookie: `__Host-sealpost_inbox=${'A'.repeat(43)}` } }),
      await env.app.request('/inbox/api/other/messages', { headers: { Cookie: cookie } }),
      await post(env.app, `/inbox/api/acme/messages/${messageIdOf('m1')}/open`, {}),
    ];

    expect(responses.map((r) => r.status)).toEqual([401, 401, 401, 401]);
    expect(responses.map((r) => r.headers.get('Content-Type'))).toEqual(Array(4).fill('application/problem+json'));
  });

  it('refuses a POST without the page\'s own Origin, and one that is not JSON', async () => {
    const env = await setup();
    await seedMessage({ ...env.deps, inbox: env.inbox, keys: env.wrapper }, { id: messageIdOf('m1'), emails: ['alice@example.com'] });
    const { cookie } = await signIn(env);
    const path = `/inbox/api/acme/messages/${messageIdOf('m1')}/open`;

    const crossSite = await post(env.app, path, {}, { Cookie: cookie, Origin: 'https://evil.example' });
    const noOrigin = await env.app.request(path, { method: 'POST', headers: { 'Content-Type': 'application/json', Cookie: cookie }, body: '{}' });
    const form = await env.app.request(path, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded', Cookie: cookie, Origin: ORIGIN }, body: 'a=b' });
    const viaPortalOrigin = await post(env.app, path, {}, { Cookie: cookie, Origin: 'https://portal.test' });

    expect([crossSite.status, noOrigin.status, form.status]).toEqual([403, 403, 415]);
    expect(viaPortalOrigin.status).toBe(200);
    expect(env.deps.events.events.filter((e) => e.type === 'unwrapped')).toHaveLength(1);
  });

  it('opens a message: the recipient\'s own secret and a grant, uncached', async () => {
    const env = await setup();
    const [, alice] = await seedMessage({ ...env.deps, inbox: env.inbox, keys: env.wrapper }, { id: messageIdOf('m1'), emails: ['bob@example.com', 'alice@example.com'] });
    const { cookie } = await signIn(env);

    const response = await post(env.app, `/inbox/api/acme/messages/${messageIdOf('m1')}/open`, {}, { Cookie: cookie });
    const missing = await post(env.app, `/inbox/api/acme/messages/${messageIdOf('m2')}/open`, {}, { Cookie: cookie });

    expect(response.status).toBe(200);
    expect(response.headers.get('Cache-Control')).toBe('no-store');
    expect(await response.json()).toEqual({ secret: alice?.secret, grant: 'G'.repeat(43) });
    expect(missing.status).toBe(404);
    expect(env.deps.logger.lines.join('\n')).not.toContain(alice!.secret);
  });

  it('signs out: clears the cookie and ends the session', async () => {
    const env = await setup();
    await seedMessage({ ...env.deps, inbox: env.inbox, keys: env.wrapper }, { id: messageIdOf('m1'), emails: ['alice@example.com'] });
    const { cookie } = await signIn(env);

    const out = await post(env.app, '/inbox/api/acme/sign-out', {}, { Cookie: cookie });
    const after = await env.app.request('/inbox/api/acme/messages', { headers: { Cookie: cookie } });

    expect(out.status).toBe(204);
    expect(out.headers.get('Set-Cookie')).toBe('__Host-sealpost_inbox=; HttpOnly; Secure; SameSite=Strict; Path=/; Max-Age=0');
    expect(after.status).toBe(401);
  });

  it('answers a wrong code 401 and, after five, 429 with Retry-After', async () => {
    const env = await setup();

    const statuses = [];
    let last: Response | undefined;
    for (let i = 0; i < 5; i++) {
      last = await post(env.app, '/inbox/api/acme/verify', { email: 'nobody@example.com', code: '123456' });
      statuses.push(last.status);
    }

    expect(statuses).toEqual([401, 401, 401, 401, 429]);
    expect(last?.headers.get('Retry-After')).toBe('900');
    expect(last?.headers.get('Set-Cookie')).toBeNull();
  });

  it('answers 422 for a malformed address or code, and 405 for a GET of a POST route', async () => {
    const env = await setup();

    const badEmail = await post(env.app, '/inbox/api/acme/sign-in', { email: 'not-an-address' });
    const badCode = await post(env.app, '/inbox/api/acme/verify', { email: 'a@example.com', code: '12ab56' });
    const getSignIn = await env.app.request('/inbox/api/acme/sign-in');

    expect([badEmail.status, badCode.status, getSignIn.status]).toEqual([422, 422, 405]);
  });
});

describe('POST /v1/admin/messages/{id}/recover', () => {
  it('returns a one-time link with an admin key, uncached', async () => {
    const env = await setup();
    const id = messageIdOf('kept');
    await seedMessage({ ...env.deps, inbox: env.inbox, keys: env.wrapper }, { id, emails: ['alice@example.com'] });

    const response = await env.app.request(`/v1/admin/messages/${id}/recover`, { method: 'POST', headers: { Authorization: `Bearer ${env.adminKeys.acme}` } });
    const body = (await response.json()) as { url: string; expiresAt: string };

    expect(response.status).toBe(201);
    expect(response.headers.get('Cache-Control')).toBe('no-store');
    expect(body.url).toMatch(new RegExp(`^https://portal\\.test/m/${id}#recover:[A-Za-z0-9_-]{43}$`));
    expect(body.expiresAt).toBe('2026-11-30T12:00:00.000Z');
    expect(env.deps.logger.lines.join('\n')).not.toContain(body.url.split('#recover:')[1]);
  });

  it('answers 409 with the reason for a standard-mode message, 404 for another tenant\'s, 403 for a send key', async () => {
    const env = await setup();
    const standard = messageIdOf('standard');
    const theirs = messageIdOf('theirs');
    await seedMessage({ ...env.deps, inbox: env.inbox, keys: env.wrapper }, { id: standard, emails: ['alice@example.com'], custody: 'link' });
    await seedMessage({ ...env.deps, inbox: env.inbox, keys: env.wrapper }, { id: theirs, emails: ['alice@example.com'], tenantId: 'other' });
    const recover = (id: string, key: string) => env.app.request(`/v1/admin/messages/${id}/recover`, { method: 'POST', headers: { Authorization: `Bearer ${key}` } });

    const conflict = await recover(standard, env.adminKeys.acme!);
    const notFound = await recover(theirs, env.adminKeys.acme!);
    const forbidden = await recover(standard, env.keys.acme!);

    expect(conflict.status).toBe(409);
    expect(await conflict.json()).toMatchObject({ type: 'urn:sealpost:problem:conflict', detail: 'This message was sent in standard mode: its key was never stored, so it cannot be recovered.' });
    expect(notFound.status).toBe(404);
    expect(forbidden.status).toBe(403);
  });
});
