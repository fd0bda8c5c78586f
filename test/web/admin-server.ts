/**
 * A stand-in for the server the admin console talks to: the real console route, asset loading and
 * security headers, in front of an in-memory implementation of the admin API contract (settings,
 * keys, webhooks, messages, events) with Bearer-key checks and problem+json errors. It records
 * every request, so tests can check what the console sent — and where the key went.
 */
import type { AddressInfo } from 'node:net';

import { serve } from '@hono/node-server';
import { Hono, type Context } from 'hono';
import type { Page } from 'playwright-core';

import { loadWebAssets } from '../../functions/adapters/fs/web-assets.ts';
import { planHostnames, primaryColorProblem, MESSAGE_CENTER_NOTICE } from '../../functions/core/tenants/index.ts';
import { requestId } from '../../functions/http/middleware/request-id.ts';
import { securityHeaders } from '../../functions/http/middleware/security-headers.ts';
import { consoleRoutes } from '../../functions/http/routes/console.ts';
import type { AppEnv } from '../../functions/http/types.ts';

export const ADMIN_KEY = `sp_0123456789abcdef_${'A'.repeat(43)}`;
export const ADMIN_KEY_ID = '0123456789abcdef';
export const SECOND_ADMIN_KEY = `sp_fedcba9876543210_${'B'.repeat(43)}`;
export const SEND_KEY_ID = '1111222233334444';
export const SEND_KEY = `sp_${SEND_KEY_ID}_${'C'.repeat(43)}`;
/** A recipient address and an event detail written to look like markup: they must stay text. */
export const HOSTILE_TEXT = '<img src=x onerror="window.__pwned=1">';

export interface FakeSettings {
  tenantId: string;
  revision: number;
  displayName: string;
  senderAddress: string;
  replyTo: string | null;
  portalHostnames: string[];
  pendingHostnames: string[];
  defaultExpiryDays: number;
  maxExpiryDays: number;
  brand: { primaryColor: string | null; logoUrl: string | null };
  messageCenter: boolean;
  verification: 'none' | 'email-code';
}

interface FakeKey {
  id: string;
  key: string;
  scope: 'send' | 'admin';
  createdAt: string;
  createdBy?: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

interface FakeWebhook {
  id: string;
  url: string;
  events: string[];
  createdAt: string;
  secret: string;
  deliveries: { id: string; eventId: string; eventType: string; attempt: number; status: string; statusCode?: number; at: string; durationMs: number }[];
}

interface FakeEvent {
  id: string;
  type: string;
  at: string;
  recordedAt: string;
  actor: string;
  messageId?: string;
  recipient?: string;
  detail?: string;
  before?: Record<string, unknown>;
  after?: Record<string, unknown>;
}

interface FakeMessage {
  id: string;
  state: 'active' | 'expired' | 'revoked';
  createdAt: string;
  expiresAt: string;
  revokedAt?: string;
  sizeBytes: number;
  custody: 'link' | 'message-center';
  verification: 'none' | 'email-code';
  passcode?: true;
  /** A sender-set label, as the API will carry it (the console shows it when it is there). */
  label?: string;
  recipients: { email: string; kind: 'to' | 'cc'; status: string; opens: number; firstOpenedAt?: string; lastOpenedAt?: string }[];
}

export interface RecordedRequest {
  readonly method: string;
  /** Path and query string. */
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

export interface AdminServer {
  readonly origin: string;
  readonly requests: RecordedRequest[];
  readonly state: {
    settings: FakeSettings;
    keys: Map<string, FakeKey>;
    webhooks: Map<string, FakeWebhook>;
    messages: FakeMessage[];
    events: FakeEvent[];
    /** False: the deployment offers no webhooks (the API answers 404 under /v1/admin/webhooks). */
    webhooksEnabled: boolean;
  };
  /** Back to the seeded state (settings, one admin key, a second admin key, a send key, 30 messages). */
  reset(): void;
  close(): Promise<void>;
}

function seed(): AdminServer['state'] {
  // Relative to the real clock: the console asks for "the last 7 days" of activity by its own clock.
  const now = Date.now();
  const iso = (offsetMinutes: number): string => new Date(now + offsetMinutes * 60_000).toISOString();
  const keys = new Map<string, FakeKey>([
    [ADMIN_KEY_ID, { id: ADMIN_KEY_ID, key: ADMIN_KEY, scope: 'admin', createdAt: iso(-60 * 24 * 30), createdBy: 'operator', lastUsedAt: iso(-5), revokedAt: null }],
    ['fedcba9876543210', { id: 'fedcba9876543210', key: SECOND_ADMIN_KEY, scope: 'admin', createdAt: iso(-60 * 24 * 20), createdBy: 'operator', lastUsedAt: null, revokedAt: null }],
    [SEND_KEY_ID, { id: SEND_KEY_ID, key: SEND_KEY, scope: 'send', createdAt: iso(-60 * 24 * 10), createdBy: `key:${ADMIN_KEY_ID}`, lastUsedAt: iso(-60), revokedAt: null }],
  ]);
  const messages: FakeMessage[] = [];
  const events: FakeEvent[] = [];
  for (let n = 0; n < 30; n++) {
    const id = `msg${String(n).padStart(3, '0')}`;
    const createdAt = iso(-n * 60);
    const email = n === 0 ? `"${HOSTILE_TEXT}"@example.com` : `patient${n}@example.com`;
    // msg001 is a Message Center message with a passcode and an email code, opened four times.
    messages.push({
      id, state: 'active', createdAt, expiresAt: iso(60 * 24 * 7 - n * 60), sizeBytes: 2816 + n,
      custody: n === 1 ? 'message-center' : 'link', verification: n === 1 ? 'email-code' : 'none', ...(n === 1 ? { passcode: true as const } : {}),
      ...(n === 2 ? { label: 'Invoice 2026-118' } : {}),
      recipients: [{
        email, kind: 'to', status: 'notified', opens: n === 1 ? 4 : n % 3 === 0 ? 1 : 0,
        ...(n % 3 === 0 || n === 1 ? { firstOpenedAt: iso(-n * 60 + 10), lastOpenedAt: iso(-n * 60 + 20) } : {}),
      }],
    });
    events.push(
      { id: `evt-${id}-1`, type: 'created', at: createdAt, recordedAt: createdAt, actor: `key:${SEND_KEY_ID}`, messageId: id },
      { id: `evt-${id}-2`, type: 'notified', at: iso(-n * 60 + 1), recordedAt: iso(-n * 60 + 1), actor: 'system', messageId: id, recipient: email, ...(n === 0 ? { detail: HOSTILE_TEXT } : {}) },
    );
  }
  events.sort((a, b) => a.recordedAt.localeCompare(b.recordedAt));
  return {
    settings: {
      tenantId: 'demo', revision: 3, displayName: 'Demo Health Clinic', senderAddress: 'notices@demo-clinic.example', replyTo: null,
      portalHostnames: ['secure.demo-clinic.example'], pendingHostnames: [], defaultExpiryDays: 7, maxExpiryDays: 30,
      brand: { primaryColor: '#2446c7', logoUrl: null }, messageCenter: false, verification: 'email-code',
    },
    keys,
    webhooks: new Map(),
    messages,
    events,
    webhooksEnabled: true,
  };
}

export async function startAdminServer(distDir: string): Promise<AdminServer> {
  const requests: RecordedRequest[] = [];
  let state = seed();
  let counter = 0;
  let logo: { type: string; bytes: Buffer } | undefined;
  const nextId = (prefix: string): string => `${prefix}${String(++counter).padStart(4, '0')}`;
  const web = loadWebAssets(distDir);

  const problem = (c: Context, status: 401 | 404 | 409 | 422, detail: string, errors?: { field: string; message: string }[]): Response =>
    c.body(JSON.stringify({ type: `urn:sealpost:problem:${status}`, title: 'Problem', status, detail, requestId: c.get('requestId') ?? 'req', ...(errors ? { errors } : {}) }), status, {
      'Content-Type': 'application/problem+json',
    });
  const record = (type: string, detail?: string): void => {
    const at = new Date().toISOString();
    state.events.push({ id: nextId('evt-'), type, at, recordedAt: at, actor: `key:${ADMIN_KEY_ID}`, ...(detail ? { detail } : {}) });
  };

  const app = new Hono<AppEnv>();
  app.use('*', requestId(() => nextId('req-')));
  app.use('*', securityHeaders());
  app.use('*', async (c, next) => {
    const body = ['POST', 'PATCH', 'PUT'].includes(c.req.method) ? await c.req.raw.clone().text() : '';
    requests.push({ method: c.req.method, url: new URL(c.req.url).pathname + new URL(c.req.url).search, headers: Object.fromEntries(c.req.raw.headers), body });
    await next();
  });

  app.route('/', consoleRoutes(web));
  app.get('/assets/:name', (c) => {
    const asset = web.assets.get(c.req.param('name'));
    if (!asset) return c.notFound();
    return c.body(asset.body as Uint8Array<ArrayBuffer>, 200, { 'Content-Type': asset.contentType });
  });

  // The same check as the real API: a live key, admin scope for /v1/admin and /v1/events.
  app.use('/v1/*', async (c, next) => {
    const presented = /^Bearer (\S+)$/.exec(c.req.header('Authorization') ?? '')?.[1];
    const key = [...state.keys.values()].find((k) => k.key === presented && k.revokedAt === null);
    const needsAdmin = !c.req.path.startsWith('/v1/messages');
    if (!key || (needsAdmin && key.scope !== 'admin')) return problem(c, 401, 'A valid API key is required.');
    await next();
  });

  app.use('/v1/admin/webhooks/*', async (c, next) => (state.webhooksEnabled ? next() : problem(c, 404, 'There is nothing at this address.')));
  app.use('/v1/admin/webhooks', async (c, next) => (state.webhooksEnabled ? next() : problem(c, 404, 'There is nothing at this address.')));

  app.get('/brand/demo/logo/:version', (c) => (logo ? c.body(new Uint8Array(logo.bytes), 200, { 'Content-Type': logo.type }) : c.notFound()));
  app.get('/v1/admin/settings', (c) => c.json(state.settings));
  app.patch('/v1/admin/settings', async (c) => {
    const match = /^"(\d+)"$/.exec(c.req.header('If-Match') ?? '');
    if (match && Number(match[1]) !== state.settings.revision) return problem(c, 409, 'The settings changed since you read them. Read them again and retry.');
    const patch = (await c.req.json()) as Partial<FakeSettings> & { brand?: { primaryColor?: string | null; logo?: { contentType: string; data: string } | null } };
    const errors: { field: string; message: string }[] = [];
    if (patch.displayName !== undefined && patch.displayName.trim() === '') errors.push({ field: 'displayName', message: 'is required' });
    const color = patch.brand?.primaryColor;
    const colorProblem = typeof color === 'string' ? primaryColorProblem(color) : undefined;
    if (colorProblem) errors.push({ field: 'brand/primaryColor', message: colorProblem });
    if (errors.length > 0) return problem(c, 422, `${errors[0]?.field}: ${errors[0]?.message}`, errors);
    const before = state.settings;
    const { brand, portalHostnames, ...rest } = patch;
    // New hostnames wait for the operator, exactly as the server plans it.
    const hostnames = portalHostnames ? planHostnames(before, portalHostnames) : { active: before.portalHostnames, pending: before.pendingHostnames };
    state.settings = {
      ...before, ...rest, portalHostnames: hostnames.active, pendingHostnames: hostnames.pending, revision: before.revision + 1,
      brand: {
        ...before.brand,
        ...(brand?.primaryColor !== undefined ? { primaryColor: brand.primaryColor } : {}),
        ...(brand?.logo !== undefined ? { logoUrl: brand.logo === null ? null : `/brand/demo/logo/v${before.revision + 1}` } : {}),
      },
    };
    if (brand?.logo) logo = { type: brand.logo.contentType, bytes: Buffer.from(brand.logo.data, 'base64') };
    record('settings_changed', Object.keys(patch).join(', '));
    const notices = patch.messageCenter !== undefined && patch.messageCenter !== before.messageCenter
      ? [patch.messageCenter ? MESSAGE_CENTER_NOTICE.on : MESSAGE_CENTER_NOTICE.off]
      : [];
    return c.json({ ...state.settings, notices });
  });

  app.get('/v1/admin/keys', (c) => c.json({ keys: [...state.keys.values()].map(({ key: _secret, ...view }) => view) }));
  app.post('/v1/admin/keys', async (c) => {
    const { scope } = (await c.req.json()) as { scope?: string };
    if (scope !== 'send' && scope !== 'admin') return problem(c, 422, 'scope: must be "send" or "admin"', [{ field: 'scope', message: 'must be "send" or "admin"' }]);
    const id = `${String(++counter).padStart(4, '0')}aaaabbbbcccc`;
    const key: FakeKey = { id, key: `sp_${id}_${'N'.repeat(40)}${String(counter).padStart(3, '0')}`, scope, createdAt: new Date().toISOString(), createdBy: `key:${ADMIN_KEY_ID}`, lastUsedAt: null, revokedAt: null };
    state.keys.set(id, key);
    record('key_created', `scope ${scope}`);
    return c.json({ id, key: key.key, scope, createdAt: key.createdAt }, 201);
  });
  app.delete('/v1/admin/keys/:id', (c) => {
    const key = state.keys.get(c.req.param('id'));
    if (!key) return problem(c, 404, 'No key with this id exists for your organisation.');
    key.revokedAt ??= new Date().toISOString();
    record('key_revoked', `scope ${key.scope}`);
    return c.body(null, 204);
  });

  app.get('/v1/admin/webhooks', (c) => c.json({
    webhooks: [...state.webhooks.values()].map(({ secret: _secret, deliveries, ...view }) => ({ ...view, status: { attempts: 0, ...(deliveries[0] ? { lastDeliveryAt: deliveries[0].at } : {}) } })),
  }));
  app.post('/v1/admin/webhooks', async (c) => {
    const { url, events } = (await c.req.json()) as { url?: string; events?: string[] };
    if (typeof url !== 'string' || !url.startsWith('https://')) return problem(c, 422, 'url: must use https://', [{ field: 'url', message: 'must use https://' }]);
    const hook: FakeWebhook = { id: nextId('wh_'), url, events: events ?? ['*'], createdAt: new Date().toISOString(), secret: `whsec_${'S'.repeat(40)}${counter}`, deliveries: [] };
    state.webhooks.set(hook.id, hook);
    record('webhook_created', url);
    const { deliveries: _d, ...created } = hook;
    return c.json(created, 201);
  });
  app.delete('/v1/admin/webhooks/:id', (c) => {
    if (!state.webhooks.delete(c.req.param('id'))) return problem(c, 404, 'No webhook with this id exists for your organisation.');
    record('webhook_deleted');
    return c.body(null, 204);
  });
  app.get('/v1/admin/webhooks/:id/deliveries', (c) => {
    const hook = state.webhooks.get(c.req.param('id'));
    const limit = Number(c.req.query('limit') ?? '50');
    return hook ? c.json({ deliveries: hook.deliveries.slice(0, limit) }) : problem(c, 404, 'No webhook with this id exists for your organisation.');
  });
  app.post('/v1/admin/webhooks/:id/ping', (c) => {
    const hook = state.webhooks.get(c.req.param('id'));
    if (!hook) return problem(c, 404, 'No webhook with this id exists for your organisation.');
    hook.deliveries.unshift({ id: nextId('dlv_'), eventId: nextId('evt-'), eventType: 'ping', attempt: 1, status: 'delivered', statusCode: 204, at: new Date().toISOString(), durationMs: 42 });
    return c.json({ delivered: true, statusCode: 204 });
  });

  const summary = (m: FakeMessage) => ({ ...m });
  app.get('/v1/messages', (c) => {
    const limit = Number(c.req.query('limit') ?? '25');
    const start = Number(c.req.query('cursor') ?? '0');
    const page = state.messages.slice(start, start + limit);
    const next = start + limit < state.messages.length ? String(start + limit) : undefined;
    return c.json({ messages: page.map(summary), ...(next ? { cursor: next } : {}) });
  });
  app.get('/v1/messages/:id', (c) => {
    const message = state.messages.find((m) => m.id === c.req.param('id'));
    if (!message) return problem(c, 404, 'No message with this id exists for your organisation.');
    return c.json({ ...summary(message), events: state.events.filter((e) => e.messageId === message.id) });
  });
  app.patch('/v1/messages/:id', async (c) => {
    const message = state.messages.find((m) => m.id === c.req.param('id'));
    if (!message) return problem(c, 404, 'No message with this id exists for your organisation.');
    if (message.state !== 'active') return problem(c, 409, `This message is ${message.state}; only an active message's expiry can change.`);
    const { expiresInDays } = (await c.req.json()) as { expiresInDays?: number };
    if (typeof expiresInDays !== 'number' || expiresInDays > state.settings.maxExpiryDays) {
      return problem(c, 422, `expiresAt may be at most ${state.settings.maxExpiryDays} days after the message was created.`, [{ field: 'expiresAt', message: 'is too late' }]);
    }
    const before = message.expiresAt;
    message.expiresAt = new Date(Date.now() + expiresInDays * 86_400_000).toISOString();
    const at = new Date().toISOString();
    state.events.push({ id: nextId('evt-'), type: 'expiry_changed', at, recordedAt: at, actor: `key:${ADMIN_KEY_ID}`, messageId: message.id, before: { expiresAt: before }, after: { expiresAt: message.expiresAt } });
    return c.json({ ...summary(message), events: state.events.filter((e) => e.messageId === message.id) });
  });
  app.post('/v1/admin/messages/:id/recover', (c) => {
    const message = state.messages.find((m) => m.id === c.req.param('id'));
    if (!message) return problem(c, 404, 'No message with this id exists for your organisation.');
    if (message.custody !== 'message-center') return problem(c, 409, 'This message was sent in standard mode: its key was never stored, so it cannot be recovered.');
    const at = new Date().toISOString();
    state.events.push({ id: nextId('evt-'), type: 'recovered', at, recordedAt: at, actor: `key:${ADMIN_KEY_ID}`, messageId: message.id, detail: 'recovery link issued' });
    return c.json({ url: `${new URL(c.req.url).origin}/m/${message.id}#recover:${'R'.repeat(43)}`, expiresAt: new Date(Date.now() + 86_400_000).toISOString() }, 201, { 'Cache-Control': 'no-store' });
  });
  app.delete('/v1/messages/:id', (c) => {
    const message = state.messages.find((m) => m.id === c.req.param('id'));
    if (!message) return problem(c, 404, 'No message with this id exists for your organisation.');
    if (message.state === 'active') {
      message.state = 'revoked';
      message.revokedAt = new Date().toISOString();
      state.events.push({ id: nextId('evt-'), type: 'revoked', at: message.revokedAt, recordedAt: message.revokedAt, actor: `key:${ADMIN_KEY_ID}`, messageId: message.id });
    }
    return c.body(null, 204);
  });

  app.get('/v1/events', (c) => {
    const limit = Number(c.req.query('limit') ?? '50');
    const cursor = c.req.query('cursor');
    const since = c.req.query('since') ?? '';
    // Newest first (order=newest, what the console asks for): the cursor counts events already given.
    const events = c.req.query('order') === 'newest' ? [...state.events].reverse().filter((e) => e.recordedAt >= since) : state.events;
    const start = cursor !== undefined ? Number(cursor) : c.req.query('order') === 'newest' ? 0 : events.findIndex((e) => e.recordedAt >= since);
    const from = start < 0 ? events.length : start;
    const page = events.slice(from, from + limit);
    return c.json({ events: page, cursor: String(from + page.length), hasMore: from + page.length < events.length });
  });

  app.notFound((c) => problem(c, 404, 'There is nothing at this address.'));

  const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
    const s = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s));
  });
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    requests,
    get state() {
      return state;
    },
    reset() {
      state = seed();
      requests.length = 0;
    },
    close: () => new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve()))),
  };
}

/** Signs `page` in to the console at `origin` with `key`, and waits for the first section. */
export async function signInToConsole(page: Page, origin: string, key = ADMIN_KEY): Promise<Page> {
  await page.goto(`${origin}/admin`);
  await page.getByLabel('Admin key').fill(key);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { level: 2, name: 'Settings' }).waitFor();
  return page;
}

/** Opens a section of the console by its tab, and waits until it has loaded. */
export async function openConsoleSection(page: Page, name: string): Promise<void> {
  await page.getByRole('navigation', { name: 'Console sections' }).getByRole('button', { name }).click();
  await page.getByRole('heading', { level: 2, name }).waitFor();
  await page.locator('[aria-busy="true"]').first().waitFor({ state: 'detached' }).catch(() => undefined);
}
