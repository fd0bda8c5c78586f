/**
 * Hostile input, property-based: over 10,000 generated malformed requests (fixed seed) to every
 * route the app mounts, read from the app itself so a new route is covered the day it is added.
 * For every request: never a 5xx; every error a bounded problem document; the security headers;
 * no credential echoed or logged; and nothing stored or sent unless the request was valid.
 */
import fc from 'fast-check';
import type { Hono } from 'hono';
import { beforeAll, describe, expect, it } from 'vitest';
import { MAX_PROBLEM_BYTES, PROBLEM_CONTENT_TYPE, problemType } from '../../functions/http/problem.ts';
import { SECURITY_HEADERS } from '../../functions/http/middleware/security-headers.ts';
import { aSendRequest, base64, buildTestApp, sendJson } from '../helpers/builders.ts';
import { measuredAttacks, requestTo, strayRequest, toRequestInit, type HostileContext, type HostileRequest } from '../helpers/hostile-requests.ts';

/** fast-check's seed, fixed so that a failure reproduces; it prints the seed and path of any counterexample. */
const SEED = 20_261_129;
const RUNS_PER_ROUTE = 230;
const RUNS_PER_WRONG_METHOD_PATH = 30;
const RUNS_STRAY = 300;
const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'PROPFIND'];
/** Refusals that are counted by design (the brute-force locks), or that email a code: they may change state. */
const COUNTED = new Set(['code-wrong', 'passcode-wrong', 'locked', 'verification-required', 'code-rate-limited'].map(problemType));
// A 1×1 PNG (one blue pixel), with valid CRCs.
const PNG_1PX = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGOQ9bsBAAHPAURf8l/aAAAAAElFTkSuQmCC';
const TOKEN = 'A'.repeat(43);

/** Every route the app serves (its method-specific handlers; the 405 fallbacks and middleware are ALL), by path. */
function routesOf(app: Hono<never>): Map<string, string[]> {
  const byPath = new Map<string, string[]>();
  for (const { method, path } of app.routes) {
    if (method === 'ALL') continue;
    const methods = byPath.get(path) ?? [];
    if (!methods.includes(method)) byPath.set(path, [...methods, method]);
  }
  return byPath;
}

const ROUTES = routesOf((await buildTestApp()).app as unknown as Hono<never>);
const ENDPOINTS = [...ROUTES].flatMap(([path, methods]) => methods.map((method) => ({ method, path })));

type World = Awaited<ReturnType<typeof hostileWorld>>;

/**
 * The app on fakes, with a second tenant ("other") that has everything a route can point at:
 * Message Center, a logo and colour, a message and a webhook. Requests come with acme's keys, so
 * other's ids are another tenant's ids.
 */
async function hostileWorld() {
  const built = await buildTestApp();
  const { app, keys, adminKeys, deps, webhookAdmin, inbox, uploads, blobs } = built;
  const call = (key: string, method: string, path: string, body?: unknown) => app.request(path, {
    method, headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' }, ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const acme = { send: keys.acme as string, admin: adminKeys.acme as string };
  const brand = { primaryColor: '#1d4ed8', logo: { contentType: 'image/png', data: PNG_1PX } };
  expect((await call(adminKeys.other as string, 'PATCH', '/v1/admin/settings', { messageCenter: true, brand })).status).toBe(200);
  const message = await (await sendJson(app, keys.other, aSendRequest({ to: ['bob@example.com'] }))).json() as { id: string };
  const webhook = await (await call(adminKeys.other as string, 'POST', '/v1/admin/webhooks', { url: 'https://hooks.other.example/in', events: ['*'] })).json() as { id: string };
  const upload = await (await call(keys.other as string, 'POST', '/v1/uploads', { recipients: 1 })).json() as { id: string };
  // Acme's keys write their "last used" time at most once a minute, and the clock stands still: write it now.
  for (const key of [acme.send, acme.admin]) expect((await call(key, 'GET', '/v1/messages')).status).toBe(200);

  const otherKeys = [...deps.tenants.keys.values()].filter((k) => k.tenantId === 'other').map((k) => k.keyId);
  const context: HostileContext = {
    bearers: [acme.send, acme.admin],
    ids: [message.id, webhook.id, upload.id, ...otherKeys, deps.tenants.tenants.get('other')?.settings.brand.logo?.digest ?? 'none', 'acme', 'other', 'nobody', 'pickup.js'],
    templates: {
      'POST /v1/messages': aSendRequest({ cc: ['carol@example.com'], attachments: [{ filename: 'a.txt', contentType: 'text/plain', content: base64('x') }] }),
      'PATCH /v1/messages/:id': { expiresInDays: 20 },
      'POST /v1/uploads': { recipients: 2 },
      'POST /v1/uploads/:id/parts': { bytes: 1000, sha256: `${'A'.repeat(43)}=`, parts: [{ index: 0, sha256: `${'B'.repeat(43)}=` }] },
      'POST /v1/uploads/:id/complete': { recipients: [{ email: 'bob@example.com', secret: TOKEN }], expiresInDays: 3 },
      'PATCH /v1/admin/settings': { displayName: 'Renamed', portalHostnames: ['portal.acme.example'] },
      'POST /v1/admin/keys': { scope: 'send' },
      'POST /v1/admin/webhooks': { url: 'https://hooks.acme.example/in', events: ['opened'] },
      'POST /m/:id/open': { link: TOKEN, token: TOKEN, code: '123456' },
      'POST /m/:id/code': { link: TOKEN, token: TOKEN },
      'POST /m/:id/reply': { link: TOKEN, token: TOKEN, subject: 'Re: results', text: 'Thanks' },
      'POST /inbox/api/:tenantId/sign-in': { email: 'bob@example.com' },
      'POST /inbox/api/:tenantId/verify': { email: 'bob@example.com', code: '123456' },
    },
  };
  /** Everything a request could store or send, in one string. */
  const state = () => JSON.stringify([
    [...deps.store.heads], [...deps.store.chunks].map(([id, c]) => [id, c.length]), deps.events.events.length, deps.notifier.sent.length,
    [...deps.idempotency.records], [...deps.tenants.tenants], [...deps.tenants.keys], [...deps.tenants.hosts], [...deps.tenants.logos.keys()],
    [...webhookAdmin.webhooks.endpoints], webhookAdmin.webhooks.deliveries.length, webhookAdmin.sender.requests.length,
    [...inbox.entries], [...inbox.signIns], [...inbox.sessions], deps.keys.unwrapCalls, webhookAdmin.keys.unwrapCalls,
    [...uploads.uploads], [...blobs.objects.keys()], [...blobs.declared],
  ]);
  return { app, deps, context, state, baseline: state(), requests: 0, refused: 0 };
}

/** Credentials a request carries, which no error and no log line may repeat. */
function credentialsOf(request: HostileRequest): string[] {
  const sent = request.headers.filter(([name]) => /^(authorization|cookie)$/i.test(name)).map(([, value]) => value.replace(/^Bearer /, ''));
  let fields: string[] = [];
  if (typeof request.body === 'string') {
    try {
      const body = JSON.parse(request.body) as Record<string, unknown>;
      fields = ['token', 'link', 'code', 'grant', 'passcode'].map((k) => body?.[k]).filter((v): v is string => typeof v === 'string');
    } catch { /* not JSON: nothing it holds is a credential we know of */ }
  }
  // Short values (a 6-digit code, "a") turn up in anything by chance: only long ones are telling.
  return [...sent, ...fields].filter((v) => v.length >= 12);
}

/** A Hono route pattern as a regular expression over a parsed URL's path. */
const pathPattern = (pattern: string) => new RegExp(`^${pattern.replace(/:\w+/g, '[^/]+')}$`);

const describeRequest = (r: HostileRequest) => `${r.method} ${r.url.slice(0, 200)}`;

/** Sends `request` and checks every property that holds for any request. */
async function answer(world: World, request: HostileRequest): Promise<Response> {
  const logged = world.deps.logger.lines.length;
  const response = await world.app.request(request.url, toRequestInit(request));
  const bytes = new Uint8Array(await response.arrayBuffer());
  const text = new TextDecoder().decode(bytes);
  const what = describeRequest(request);
  world.requests++;

  expect(response.status, what).toBeLessThan(500);
  for (const [name, value] of Object.entries(SECURITY_HEADERS)) {
    const got = response.headers.get(name);
    if (name === 'Content-Security-Policy') expect(got, what).toContain(value);
    else if (name === 'Cross-Origin-Resource-Policy') expect(['same-origin', 'cross-origin'], what).toContain(got);
    else expect(got, `${what}: ${name}`).toBe(value);
  }
  expect(response.headers.get('X-Request-Id'), what).toBeTruthy();
  expect(response.headers.has('X-Injected'), what).toBe(false);
  if (response.headers.has('Set-Cookie')) expect(request.url, what).toMatch(/^\/inbox\/api\/[^/]+\/(verify|sign-out)(\?|$)/);

  let problem: { type?: string } = {};
  if (!response.ok) {
    expect(response.headers.get('Content-Type'), what).toBe(PROBLEM_CONTENT_TYPE);
    if (request.method !== 'HEAD') {
      expect(bytes.length, what).toBeLessThanOrEqual(MAX_PROBLEM_BYTES);
      problem = JSON.parse(text) as { type?: string };
      expect(problem, what).toEqual(expect.objectContaining({
        type: expect.stringMatching(/^urn:sealpost:problem:[a-z-]+$/), title: expect.stringMatching(/./), status: response.status,
        detail: expect.stringMatching(/./), requestId: response.headers.get('X-Request-Id'),
      }));
    }
  }

  // An API key is never repeated; what else a request sent may come back in a 2xx (the events feed shows a User-Agent), never in an error.
  const logs = world.deps.logger.lines.slice(logged).join('\n');
  const said = `${[...response.headers].join('\n')}\n${logs}\n${response.ok ? '' : text}`;
  for (const key of world.context.bearers) expect(`${text}\n${said}`.includes(key), `${what} repeats an API key`).toBe(false);
  for (const credential of credentialsOf(request)) expect(said.includes(credential), `${what} repeats a credential`).toBe(false);

  const after = world.state();
  if (after !== world.baseline) {
    // Only a valid request (2xx) that is not a read, or a refusal that is counted by design, may store or send anything.
    expect(['GET', 'HEAD'], `${what} changed state`).not.toContain(request.method);
    expect(response.ok || COUNTED.has(problem.type ?? '') || (response.status === 401 && /\/verify(\?|$)/.test(request.url)), `${what} changed state`).toBe(true);
    world.baseline = after;
  }
  if (!response.ok) world.refused++;
  return response;
}

describe('hostile input to every route', () => {
  let world: World;
  beforeAll(async () => { world = await hostileWorld(); }, 60_000);

  // Every route below is read from the app, so a new one is fuzzed as soon as it is mounted; this count only makes its author look here (a template in hostileWorld helps it get past validation).
  it('knows every route the app mounts: 45 handlers on 38 paths', () => {
    expect(ENDPOINTS).toHaveLength(45);
    expect(ROUTES.size).toBe(38);
  });

  for (const { method, path } of ENDPOINTS) {
    it(`${method} ${path}: no 5xx, bounded problems, security headers, no echo, nothing stored or sent unless valid`, async () => {
      const examples = measuredAttacks(method, path, world.context).map((attack) => [attack] as [HostileRequest]);
      await fc.assert(fc.asyncProperty(requestTo(method, path, world.context), async (request) => { await answer(world, request); }), { seed: SEED, numRuns: RUNS_PER_ROUTE, examples });
    }, 120_000);
  }

  for (const [path, methods] of ROUTES) {
    // HEAD is served as GET.
    const wrong = METHODS.filter((m) => !methods.includes(m) && !(m === 'HEAD' && methods.includes('GET')));
    it(`${path} with ${wrong.join(', ')}: refused (405 with Allow, or the key or tenant first), changing nothing`, async () => {
      const request = fc.constantFrom(...wrong).chain((method) => requestTo(method, path, world.context));
      await fc.assert(fc.asyncProperty(request, async (r) => {
        const response = await answer(world, r);
        // A dot segment ("/m/./open") takes the request to another route when the URL is parsed: only the general properties hold there.
        if (!pathPattern(path).test(new URL(r.url, 'http://localhost').pathname)) return;
        expect([401, 403, 404, 405], describeRequest(r)).toContain(response.status);
        if (response.status === 405) expect(response.headers.get('Allow')?.split(', ').sort(), describeRequest(r)).toEqual([...methods].sort());
      }), { seed: SEED, numRuns: RUNS_PER_WRONG_METHOD_PATH });
    }, 60_000);
  }

  it('paths no route serves, with any method', async () => {
    await fc.assert(fc.asyncProperty(strayRequest(world.context), async (request) => { await answer(world, request); }), { seed: SEED, numRuns: RUNS_STRAY });
  }, 60_000);

  it('sent over 10,000 generated requests', () => {
    expect(world.requests).toBeGreaterThanOrEqual(10_000);
    // Most of them refused: what succeeds is a public page, a read with a good key, or the odd template left whole.
    expect(world.refused).toBeGreaterThan(world.requests / 2);
  });
});
