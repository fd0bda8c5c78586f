/**
 * Security headers on every response of every route, read from the app itself (the API, the portal
 * and the inbox mounted), so a new route fails here until it has a case: for each, a normal request
 * and its errors (401, 403, 404, 405, 415, 422 as they apply), plus wrong methods on every path,
 * unknown paths and HEAD. Every response must carry every header of SECURITY_HEADERS with exactly
 * its value (but for a logo's documented exceptions), a fresh request id, and Cache-Control
 * `no-store` except the public static documents (README, "Security headers"). The policy itself is
 * pinned by inline snapshots, so a change to it shows up in review.
 */
import type { Hono } from 'hono';
import { beforeAll, describe, expect, it } from 'vitest';
import { LOGO_CSP } from '../../functions/http/routes/brand.ts';
import { CONTENT_SECURITY_POLICY, SECURITY_HEADERS } from '../../functions/http/middleware/security-headers.ts';
import { deriveAccessToken, deriveLinkToken } from '../../functions/core/protocol/index.ts';
import { TEST_WEB, aSendRequest, aTenant, base64, buildTestApp, parseLink } from '../helpers/builders.ts';
import { SIMPLE_SVG, aPng } from '../helpers/brand-fakes.ts';
import { completionFor, declarationOf, plan, sealFor } from '../helpers/sealed-uploads.ts';

const ORIGIN = 'http://localhost';
const REQUEST_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const UNKNOWN_ID = 'AAAAAAAAAAAAAAAAAAAAAA';
const WRONG = 'W'.repeat(43);
/** Public, static documents (README, "Security headers"); everything else is no-store. */
const STATIC = 'public, max-age=300';
const IMMUTABLE = 'public, max-age=31536000, immutable';

interface Probe {
  readonly method?: string;
  readonly path: string;
  readonly key?: 'send' | 'admin';
  readonly json?: unknown;
  readonly body?: string;
  readonly headers?: Record<string, string>;
  readonly status: number;
  /** Cache-Control, when not no-store. */
  readonly cache?: string;
  /** A logo served: cross-origin CORP, and for SVG the sandbox policy next to ours. */
  readonly logo?: 'png' | 'svg';
}
/** A route's probes: at least one normal request and one error. */
interface Probes { readonly ok: readonly Probe[]; readonly errors: readonly Probe[] }

type World = Awaited<ReturnType<typeof buildWorld>>;

/** The test app with acme (Message Center, a colour and a PNG logo) and other (an SVG logo), and what the cases point at. */
async function buildWorld() {
  const built = await buildTestApp({
    tenants: [aTenant({ settings: { messageCenter: true } }), aTenant({ id: 'other', settings: { displayName: 'Other Org', senderAddress: 'x@other.example' } })],
    web: { ...TEST_WEB, adminPage: '<!doctype html><title>admin</title>' },
  });
  const { app, keys, adminKeys, deps } = built;
  const request = (probe: Omit<Probe, 'status'>) => app.request(probe.path, {
    method: probe.method ?? 'GET',
    headers: {
      ...(probe.key ? { Authorization: `Bearer ${probe.key === 'send' ? keys.acme : adminKeys.acme}` } : {}),
      ...(probe.json !== undefined ? { 'Content-Type': 'application/json' } : {}),
      ...probe.headers,
    },
    ...(probe.json !== undefined ? { body: JSON.stringify(probe.json) } : probe.body !== undefined ? { body: probe.body } : {}),
  });
  const ok = async (probe: Omit<Probe, 'status'>, status = 200) => {
    const res = await request(probe);
    expect(res.status, `${probe.method ?? 'GET'} ${probe.path}`).toBe(status);
    return res.status === 204 ? undefined : await res.json() as Record<string, unknown>;
  };
  for (const [tenant, logo] of [['acme', { contentType: 'image/png', data: base64(aPng()) }], ['other', { contentType: 'image/svg+xml', data: base64(SIMPLE_SVG) }]] as const) {
    const res = await app.request('/v1/admin/settings', {
      method: 'PATCH', headers: { Authorization: `Bearer ${adminKeys[tenant]}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ brand: { primaryColor: '#1d4ed8', logo } }),
    });
    expect(res.status).toBe(200);
  }
  const digestOf = (tenant: string) => deps.tenants.tenants.get(tenant)?.settings.brand.logo?.digest ?? '';
  /** Sends a message from acme to `to`; its id and link (from the notification). */
  const send = async (to: string, extra: Record<string, unknown> = {}) => {
    const { id } = await ok({ method: 'POST', path: '/v1/messages', key: 'send', json: aSendRequest({ to: [to], ...extra }) }, 201) as { id: string };
    const link = parseLink(deps.notifier.sent.filter((n) => n.to.email === to).at(-1)?.text ?? '');
    return { id, credentials: { link: await deriveLinkToken(link.secret), token: await deriveAccessToken(link.secret) } };
  };
  const inboxPost = (path: string, json: unknown, cookie?: string): Omit<Probe, 'status'> => ({
    method: 'POST', path: `/inbox/api/acme/${path}`, json, headers: { Origin: ORIGIN, ...(cookie ? { Cookie: cookie } : {}) },
  });
  /** Signs in to acme's inbox as `email` (which must have a message) and returns the cookie. */
  /** The code of the last email (a sign-in code). */
  const lastCode = () => /\b(\d{6})\b/.exec(deps.notifier.sent.at(-1)?.text ?? '')?.[1] ?? '';
  const signIn = async (email: string) => {
    await ok(inboxPost('sign-in', { email }), 202);
    const res = await request(inboxPost('verify', { email, code: lastCode() }));
    expect(res.status).toBe(204);
    return `__Host-sealpost_inbox=${/__Host-sealpost_inbox=([^;]+)/.exec(res.headers.get('Set-Cookie') ?? '')?.[1]}`;
  };
  const webhook = async () => (await ok({ method: 'POST', path: '/v1/admin/webhooks', key: 'admin', json: { url: 'https://hooks.acme.example/in', events: ['*'] } }, 201) as { id: string }).id;
  /** Opens a sealed upload for one recipient, seals and puts its one part; what completing it needs. */
  const upload = async () => {
    const opened = await ok({ method: 'POST', path: '/v1/uploads', key: 'send', json: { recipients: 1 } }, 201) as { id: string; custodyPassword?: string };
    const planned = await plan(['upload@example.com']);
    const ciphertext = await sealFor([...planned.map((r) => r.key), ...(opened.custodyPassword ? [opened.custodyPassword] : [])]);
    const { declaration, parts } = await declarationOf(ciphertext);
    await ok({ method: 'POST', path: `/v1/uploads/${opened.id}/parts`, key: 'send', json: { ...declaration, parts } });
    built.blobs.put(opened.id, 0, ciphertext);
    return { id: opened.id, completion: completionFor(planned, opened.custodyPassword ? { custodyPassword: opened.custodyPassword } : {}) };
  };
  return { app, request, ok, send, signIn, lastCode, inboxPost, webhook, upload, revision: () => deps.tenants.tenants.get('acme')?.revision ?? 0, digestOf };
}

const sendBody = aSendRequest();
const wrongMethod = (path: string): Probe => ({ method: 'PUT', path, key: 'admin', status: 405 });

/** Every route the app mounts, by `METHOD path`: how to call it normally and how to make it fail. */
const CASES: Record<string, (w: World) => Promise<Probes>> = {
  'GET /healthz': async () => ({ ok: [{ path: '/healthz', status: 200 }], errors: [{ method: 'POST', path: '/healthz', status: 404 }] }),
  'GET /v1/openapi.json': async () => ({ ok: [{ path: '/v1/openapi.json', status: 200, cache: STATIC }], errors: [wrongMethod('/v1/openapi.json')] }),
  'GET /v1/docs': async () => ({ ok: [{ path: '/v1/docs', status: 200, cache: STATIC }], errors: [wrongMethod('/v1/docs')] }),
  'GET /v1/docs.css': async () => ({ ok: [{ path: '/v1/docs.css', status: 200, cache: STATIC }], errors: [wrongMethod('/v1/docs.css')] }),
  'GET /v1/docs.js': async () => ({ ok: [{ path: '/v1/docs.js', status: 200, cache: STATIC }], errors: [wrongMethod('/v1/docs.js')] }),
  'GET /favicon.ico': async () => ({ ok: [{ path: '/favicon.ico', status: 200, cache: 'public, max-age=86400' }], errors: [wrongMethod('/favicon.ico')] }),
  'POST /v1/messages': async () => ({
    ok: [{ method: 'POST', path: '/v1/messages', key: 'send', json: sendBody, status: 201 }],
    errors: [
      { method: 'POST', path: '/v1/messages', json: sendBody, status: 401 },
      { method: 'POST', path: '/v1/messages', key: 'send', body: 'to=alice', headers: { 'Content-Type': 'text/plain' }, status: 415 },
      { method: 'POST', path: '/v1/messages', key: 'send', json: { to: [] }, status: 422 },
    ],
  }),
  'GET /v1/messages': async () => ({
    ok: [{ path: '/v1/messages', key: 'send', status: 200 }],
    errors: [{ path: '/v1/messages', status: 401 }, { path: '/v1/messages?limit=0', key: 'send', status: 422 }],
  }),
  'GET /v1/messages/:id': async (w) => {
    const { id } = await w.send('status@example.com');
    return { ok: [{ path: `/v1/messages/${id}`, key: 'send', status: 200 }], errors: [{ path: `/v1/messages/${UNKNOWN_ID}`, key: 'send', status: 404 }, { path: `/v1/messages/${id}`, status: 401 }] };
  },
  'PATCH /v1/messages/:id': async (w) => {
    const { id } = await w.send('expiry@example.com');
    return {
      ok: [{ method: 'PATCH', path: `/v1/messages/${id}`, key: 'send', json: { expiresInDays: 20 }, status: 200 }],
      errors: [
        { method: 'PATCH', path: `/v1/messages/${id}`, key: 'send', json: { expiresInDays: 'soon' }, status: 422 },
        { method: 'PATCH', path: `/v1/messages/${id}`, key: 'send', body: 'x', headers: { 'Content-Type': 'text/plain' }, status: 415 },
      ],
    };
  },
  'DELETE /v1/messages/:id': async (w) => {
    const { id } = await w.send('revoke@example.com');
    return { ok: [{ method: 'DELETE', path: `/v1/messages/${id}`, key: 'send', status: 204 }], errors: [{ method: 'DELETE', path: `/v1/messages/${UNKNOWN_ID}`, key: 'send', status: 404 }] };
  },
  'POST /v1/uploads': async () => ({
    ok: [{ method: 'POST', path: '/v1/uploads', key: 'send', json: { recipients: 1 }, status: 201 }],
    errors: [{ method: 'POST', path: '/v1/uploads', json: { recipients: 1 }, status: 401 }, { method: 'POST', path: '/v1/uploads', key: 'send', json: { recipients: 0 }, status: 422 }],
  }),
  'POST /v1/uploads/:id/parts': async (w) => {
    const { id } = await w.ok({ method: 'POST', path: '/v1/uploads', key: 'send', json: { recipients: 1 } }, 201) as { id: string };
    const json = { bytes: 10, sha256: `${'A'.repeat(43)}=`, parts: [{ index: 0, sha256: `${'B'.repeat(43)}=` }] };
    return {
      ok: [{ method: 'POST', path: `/v1/uploads/${id}/parts`, key: 'send', json, status: 200 }],
      errors: [{ method: 'POST', path: `/v1/uploads/${UNKNOWN_ID}/parts`, key: 'send', json, status: 404 }, { method: 'POST', path: `/v1/uploads/${id}/parts`, key: 'send', json: { ...json, bytes: 11 }, status: 409 }],
    };
  },
  'POST /v1/uploads/:id/complete': async (w) => {
    const { id, completion } = await w.upload();
    return {
      ok: [{ method: 'POST', path: `/v1/uploads/${id}/complete`, key: 'send', json: completion, status: 201 }],
      errors: [{ method: 'POST', path: `/v1/uploads/${id}/complete`, key: 'send', json: completion, status: 409 }, { method: 'POST', path: `/v1/uploads/${UNKNOWN_ID}/complete`, key: 'send', json: { recipients: [] }, status: 422 }],
    };
  },
  'DELETE /v1/uploads/:id': async (w) => {
    const { id } = await w.ok({ method: 'POST', path: '/v1/uploads', key: 'send', json: { recipients: 1 } }, 201) as { id: string };
    return { ok: [{ method: 'DELETE', path: `/v1/uploads/${id}`, key: 'send', status: 204 }], errors: [{ method: 'DELETE', path: `/v1/uploads/${id}`, key: 'send', status: 404 }] };
  },
  'GET /v1/events': async () => ({
    ok: [{ path: '/v1/events', key: 'send', status: 200 }],
    errors: [{ path: '/v1/events', status: 401 }, { path: '/v1/events?limit=0', key: 'send', status: 422 }],
  }),
  'GET /v1/admin/settings': async () => ({
    ok: [{ path: '/v1/admin/settings', key: 'admin', status: 200 }],
    errors: [{ path: '/v1/admin/settings', key: 'send', status: 403 }, { path: '/v1/admin/settings', status: 401 }],
  }),
  'PATCH /v1/admin/settings': async () => ({
    ok: [{ method: 'PATCH', path: '/v1/admin/settings', key: 'admin', json: { displayName: 'Acme Health' }, status: 200 }],
    errors: [{ method: 'PATCH', path: '/v1/admin/settings', key: 'admin', json: { displayName: '' }, status: 422 }],
  }),
  'POST /v1/admin/keys': async () => ({
    ok: [{ method: 'POST', path: '/v1/admin/keys', key: 'admin', json: { scope: 'send' }, status: 201 }],
    errors: [{ method: 'POST', path: '/v1/admin/keys', key: 'admin', json: { scope: 'root' }, status: 422 }],
  }),
  'GET /v1/admin/keys': async () => ({ ok: [{ path: '/v1/admin/keys', key: 'admin', status: 200 }], errors: [{ path: '/v1/admin/keys', status: 401 }] }),
  'DELETE /v1/admin/keys/:id': async (w) => {
    const { id } = await w.ok({ method: 'POST', path: '/v1/admin/keys', key: 'admin', json: { scope: 'send' } }, 201) as { id: string };
    return { ok: [{ method: 'DELETE', path: `/v1/admin/keys/${id}`, key: 'admin', status: 204 }], errors: [{ method: 'DELETE', path: '/v1/admin/keys/nokey', key: 'admin', status: 404 }] };
  },
  'POST /v1/admin/webhooks': async () => ({
    ok: [{ method: 'POST', path: '/v1/admin/webhooks', key: 'admin', json: { url: 'https://hooks.acme.example/new', events: ['opened'] }, status: 201 }],
    errors: [{ method: 'POST', path: '/v1/admin/webhooks', key: 'admin', json: { url: 'ftp://hooks.acme.example', events: ['opened'] }, status: 422 }],
  }),
  'GET /v1/admin/webhooks': async () => ({ ok: [{ path: '/v1/admin/webhooks', key: 'admin', status: 200 }], errors: [{ path: '/v1/admin/webhooks', key: 'send', status: 403 }] }),
  'GET /v1/admin/webhooks/:id': async (w) => {
    const id = await w.webhook();
    return { ok: [{ path: `/v1/admin/webhooks/${id}`, key: 'admin', status: 200 }], errors: [{ path: `/v1/admin/webhooks/${UNKNOWN_ID}`, key: 'admin', status: 404 }] };
  },
  'DELETE /v1/admin/webhooks/:id': async (w) => {
    const id = await w.webhook();
    return { ok: [{ method: 'DELETE', path: `/v1/admin/webhooks/${id}`, key: 'admin', status: 204 }], errors: [{ method: 'DELETE', path: `/v1/admin/webhooks/${UNKNOWN_ID}`, key: 'admin', status: 404 }] };
  },
  'GET /v1/admin/webhooks/:id/deliveries': async (w) => {
    const id = await w.webhook();
    return { ok: [{ path: `/v1/admin/webhooks/${id}/deliveries`, key: 'admin', status: 200 }], errors: [{ path: `/v1/admin/webhooks/${id}/deliveries?limit=0`, key: 'admin', status: 422 }] };
  },
  'POST /v1/admin/webhooks/:id/ping': async (w) => {
    const id = await w.webhook();
    return { ok: [{ method: 'POST', path: `/v1/admin/webhooks/${id}/ping`, key: 'admin', status: 200 }], errors: [{ method: 'POST', path: `/v1/admin/webhooks/${UNKNOWN_ID}/ping`, key: 'admin', status: 404 }] };
  },
  'POST /v1/admin/messages/:id/recover': async (w) => {
    const { id } = await w.send('recover@example.com');
    return { ok: [{ method: 'POST', path: `/v1/admin/messages/${id}/recover`, key: 'admin', status: 201 }], errors: [{ method: 'POST', path: `/v1/admin/messages/${UNKNOWN_ID}/recover`, key: 'admin', status: 404 }] };
  },
  'POST /m/:id/reply': async (w) => {
    const { id, credentials } = await w.send('reply@example.com');
    return {
      ok: [{ method: 'POST', path: `/m/${id}/reply`, json: { ...credentials, subject: 'Re: Lab results', text: 'Thanks' }, status: 201 }],
      errors: [
        { method: 'POST', path: `/m/${id}/reply`, json: { ...credentials, token: WRONG, subject: 'Re', text: 'x' }, status: 404 },
        { method: 'POST', path: `/m/${id}/reply`, json: { ...credentials, subject: '', text: 'x' }, status: 422 },
        { method: 'POST', path: `/m/${id}/reply`, body: 'x', headers: { 'Content-Type': 'text/plain' }, status: 415 },
      ],
    };
  },
  'GET /m/:id': async (w) => {
    const { id } = await w.send('page@example.com');
    return { ok: [{ path: `/m/${id}`, status: 200 }, { path: `/m/${UNKNOWN_ID}`, status: 200 }], errors: [{ method: 'POST', path: `/m/${id}`, status: 405 }] };
  },
  'POST /m/:id/open': async (w) => {
    const { id, credentials } = await w.send('open@example.com');
    return {
      ok: [{ method: 'POST', path: `/m/${id}/open`, json: credentials, status: 200 }],
      errors: [
        { method: 'POST', path: `/m/${id}/open`, json: { ...credentials, token: WRONG }, status: 404 },
        { method: 'POST', path: `/m/${id}/open`, json: { token: 1 }, status: 422 },
        { method: 'POST', path: `/m/${id}/open`, body: 'x', headers: { 'Content-Type': 'text/plain' }, status: 415 },
      ],
    };
  },
  'POST /m/:id/code': async (w) => {
    const coded = await w.send('code@example.com', { verification: 'email-code' });
    const plain = await w.send('nocode@example.com');
    return {
      // "A code is on its way" is the verification-required problem.
      ok: [{ method: 'POST', path: `/m/${coded.id}/code`, json: coded.credentials, status: 403 }],
      errors: [
        { method: 'POST', path: `/m/${plain.id}/code`, json: plain.credentials, status: 409 },
        { method: 'POST', path: `/m/${coded.id}/code`, json: { ...coded.credentials, link: WRONG }, status: 404 },
      ],
    };
  },
  'GET /assets/:name': async () => ({ ok: [{ path: '/assets/pickup.js', status: 200, cache: STATIC }], errors: [{ path: '/assets/missing.js', status: 404 }] }),
  'GET /brand/:tenantId/logo/:digest': async (w) => ({
    ok: [
      { path: `/brand/acme/logo/${w.digestOf('acme')}`, status: 200, cache: IMMUTABLE, logo: 'png' },
      { path: `/brand/other/logo/${w.digestOf('other')}`, status: 200, cache: IMMUTABLE, logo: 'svg' },
    ],
    errors: [{ path: `/brand/acme/logo/${w.digestOf('other')}`, status: 404 }, { path: '/brand/nobody/logo/x', status: 404 }],
  }),
  'GET /brand/:tenantId/theme.css': async (w) => ({
    // Cached for good only at the current revision; any other revision must be revalidated.
    ok: [{ path: `/brand/acme/theme.css?v=${w.revision()}`, status: 200, cache: IMMUTABLE }, { path: '/brand/acme/theme.css?v=999', status: 200, cache: 'no-cache' }],
    errors: [{ path: '/brand/nobody/theme.css', status: 404 }],
  }),
  'GET /admin': async () => ({ ok: [{ path: '/admin', status: 200 }], errors: [{ method: 'POST', path: '/admin', status: 405 }] }),
  'GET /admin/': async () => ({ ok: [{ path: '/admin/', status: 200 }], errors: [{ method: 'DELETE', path: '/admin/', status: 405 }] }),
  'GET /inbox': async () => ({ ok: [{ path: '/inbox', status: 200 }], errors: [{ method: 'POST', path: '/inbox', status: 405 }] }),
  'GET /inbox/': async () => ({ ok: [{ path: '/inbox/', status: 200 }], errors: [{ method: 'POST', path: '/inbox/', status: 405 }] }),
  'GET /inbox/:tenantId': async () => ({ ok: [{ path: '/inbox/acme', status: 200 }], errors: [{ method: 'POST', path: '/inbox/acme', status: 405 }] }),
  'POST /inbox/api/:tenantId/sign-in': async (w) => ({
    ok: [{ ...w.inboxPost('sign-in', { email: 'nobody@example.com' }), status: 202 }],
    errors: [
      { method: 'POST', path: '/inbox/api/acme/sign-in', json: { email: 'nobody@example.com' }, status: 403 },
      { ...w.inboxPost('sign-in', { email: 'not an address' }), status: 422 },
      { method: 'POST', path: '/inbox/api/acme/sign-in', body: 'x', headers: { Origin: ORIGIN, 'Content-Type': 'text/plain' }, status: 415 },
      { ...w.inboxPost('sign-in', { email: 'nobody@example.com' }), path: '/inbox/api/bad!tenant/sign-in', status: 404 },
    ],
  }),
  'POST /inbox/api/:tenantId/verify': async (w) => {
    await w.send('verify@example.com');
    await w.ok(w.inboxPost('sign-in', { email: 'verify@example.com' }), 202);
    const code = w.lastCode();
    return {
      ok: [{ ...w.inboxPost('verify', { email: 'verify@example.com', code }), status: 204 }],
      // After the right code, any code is wrong: it was used.
      errors: [{ ...w.inboxPost('verify', { email: 'verify@example.com', code }), status: 401 }, { ...w.inboxPost('verify', { email: 'verify@example.com', code: 'x' }), status: 422 }],
    };
  },
  'GET /inbox/api/:tenantId/messages': async (w) => {
    await w.send('list@example.com');
    const cookie = await w.signIn('list@example.com');
    return { ok: [{ path: '/inbox/api/acme/messages', headers: { Cookie: cookie }, status: 200 }], errors: [{ path: '/inbox/api/acme/messages', status: 401 }] };
  },
  'POST /inbox/api/:tenantId/messages/:id/open': async (w) => {
    const { id } = await w.send('inbox-open@example.com');
    const cookie = await w.signIn('inbox-open@example.com');
    return {
      ok: [{ ...w.inboxPost(`messages/${id}/open`, {}, cookie), status: 200 }],
      errors: [{ ...w.inboxPost(`messages/${id}/open`, {}), status: 401 }, { ...w.inboxPost(`messages/${UNKNOWN_ID}/open`, {}, cookie), status: 404 }],
    };
  },
  'POST /inbox/api/:tenantId/sign-out': async (w) => ({
    ok: [{ ...w.inboxPost('sign-out', {}), status: 204 }],
    errors: [{ method: 'POST', path: '/inbox/api/acme/sign-out', json: {}, status: 403 }],
  }),
};

/** Every route the app serves, `METHOD path` (its 405 fallbacks and middleware are ALL). */
function routesOf(app: Hono<never>): string[] {
  return [...new Set(app.routes.filter((r) => r.method !== 'ALL').map((r) => `${r.method} ${r.path}`))];
}

describe('security headers on every response', () => {
  let world: World;
  let routes: string[];
  beforeAll(async () => {
    world = await buildWorld();
    routes = routesOf(world.app as unknown as Hono<never>);
  });

  /** Sends the probe and checks its status and every header; returns the response. */
  async function check(probe: Probe): Promise<Response> {
    const label = `${probe.method ?? 'GET'} ${probe.path} → ${probe.status}`;
    const res = await world.request(probe);
    const expected: Record<string, string> = { ...SECURITY_HEADERS, 'Cache-Control': probe.cache ?? 'no-store' };
    if (probe.logo) expected['Cross-Origin-Resource-Policy'] = 'cross-origin';
    // Two policies, both enforced: the route can only tighten the page policy.
    if (probe.logo === 'svg') expected['Content-Security-Policy'] = `${LOGO_CSP}, ${CONTENT_SECURITY_POLICY}`;
    expect(res.status, label).toBe(probe.status);
    expect(Object.fromEntries(Object.keys(expected).map((name) => [name, res.headers.get(name)])), label).toEqual(expected);
    expect(res.headers.get('X-Request-Id'), label).toMatch(REQUEST_ID);
    return res;
  }

  it('has a case for each of the 45 routes the app mounts, and for no other', () => {
    expect(Object.keys(CASES).sort()).toEqual([...routes].sort());
    expect(routes).toHaveLength(45);
  });

  it('puts exactly the headers on a normal request and on every error of each route', async () => {
    const perRoute = new Map<string, number>();
    for (const [route, probes] of Object.entries(CASES)) {
      const { ok, errors } = await probes(world);
      expect([ok.length > 0, errors.length > 0], route).toEqual([true, true]);
      for (const probe of [...ok, ...errors]) await check(probe);
      perRoute.set(route, ok.length + errors.length);
    }
    expect(perRoute.size).toBe(45);
    expect([...perRoute.values()].reduce((a, b) => a + b)).toBe(114);
  });

  it('puts exactly the headers on a wrong method for every path, HEAD requests, unknown paths and /healthz', async () => {
    const paths = [...new Set(routes.map((r) => r.split(' ')[1]!))];
    const methods = new Map<string, Set<string>>();
    for (const route of routes) {
      const [method, path] = route.split(' ') as [string, string];
      methods.set(path, (methods.get(path) ?? new Set()).add(method));
    }
    for (const path of paths) {
      const concrete = path.replace(':tenantId', 'acme').replace(':digest', 'd').replace(':id', UNKNOWN_ID).replace(':name', 'pickup.js');
      const wrong = ['PUT', 'PATCH', 'OPTIONS'].find((m) => !methods.get(path)?.has(m))!;
      // /healthz, /assets and /brand have no 405 fallback: another method finds nothing there.
      const status = /^\/(healthz|assets|brand)\b/.test(path) ? 404 : 405;
      const res = await check({ method: wrong, path: concrete, key: 'admin', status });
      if (status === 405) expect(res.headers.get('Allow'), path).toBeTruthy();
    }
    for (const path of ['/nowhere', '/m/', '/m/a/b/c', '/v1', '/v1/nowhere', '/assets/', '/brand/acme/logo/', '/inbox/api/acme/nowhere', '/%2e%2e/etc/passwd', '/admin/x']) {
      await check({ path, status: 404 });
    }
    await check({ path: '/v1/admin/nowhere', status: 401 });
    await check({ path: '/v1/admin/nowhere', key: 'admin', status: 404 });
    await check({ method: 'HEAD', path: `/m/${UNKNOWN_ID}`, status: 200 });
    await check({ method: 'HEAD', path: '/assets/pickup.js', status: 200, cache: STATIC });
    await check({ method: 'HEAD', path: '/healthz', status: 200 });
    expect(paths).toHaveLength(38);
  });

  it('pins the policy: the Content-Security-Policy and every other header, as reviewed', async () => {
    const res = await check({ path: '/healthz', status: 200 });
    expect(res.headers.get('Content-Security-Policy')).toMatchInlineSnapshot(`"default-src 'none'; script-src 'self' 'sha256-DcuE8piaemP07JpVQlJKKJPlkhVVkmC3g4Bca6yk2H8='; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; font-src 'self'; connect-src 'self'; frame-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"`);
    expect(SECURITY_HEADERS).toMatchInlineSnapshot(`
      {
        "Content-Security-Policy": "default-src 'none'; script-src 'self' 'sha256-DcuE8piaemP07JpVQlJKKJPlkhVVkmC3g4Bca6yk2H8='; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; font-src 'self'; connect-src 'self'; frame-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
        "Cross-Origin-Opener-Policy": "same-origin",
        "Cross-Origin-Resource-Policy": "same-origin",
        "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
        "Referrer-Policy": "no-referrer",
        "Strict-Transport-Security": "max-age=63072000; includeSubDomains",
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": "DENY",
      }
    `);
    expect(LOGO_CSP).toMatchInlineSnapshot(`"default-src 'none'; style-src 'unsafe-inline'; sandbox"`);
  });
});
