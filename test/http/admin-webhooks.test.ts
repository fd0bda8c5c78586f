import { randomBytes } from 'node:crypto';
import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { apiKeyRecordFor, generateApiKey, type KeyScope } from '../../functions/core/tenants/index.ts';
import { requireKey } from '../../functions/http/middleware/auth.ts';
import { requestId } from '../../functions/http/middleware/request-id.ts';
import { errorToResponse } from '../../functions/http/problem.ts';
import { adminWebhookRoutes } from '../../functions/http/routes/admin-webhooks.ts';
import type { AppEnv } from '../../functions/http/types.ts';
import { aTenant } from '../helpers/builders.ts';
import { InMemoryTenantDirectory } from '../helpers/fakes.ts';
import { aWebhookWorld } from '../helpers/webhook-fakes.ts';

const BASE = '/v1/admin/webhooks';
type Problem = { type: string; status: number; detail: string; requestId: string; errors?: { field: string; message: string }[] };
type Created = { id: string; secret: string; url: string; events: string[]; createdAt: string };

/** The routes as the lead mounts them: request id, requireKey(admin) in front, problem+json errors. */
async function buildAdminApp() {
  const world = aWebhookWorld();
  const tenants = new InMemoryTenantDirectory();
  const keys: Record<string, string> = {};
  const random = (n: number) => new Uint8Array(randomBytes(n));
  for (const [tenantId, scope] of [['acme', 'admin'], ['other', 'admin'], ['acme-send', 'send']] as [string, KeyScope][]) {
    const tenant = aTenant({ id: tenantId.replace('-send', '') });
    tenants.tenants.set(tenant.id, tenant);
    const { key } = generateApiKey(random);
    const record = await apiKeyRecordFor(key, { tenantId: tenant.id, scope, createdBy: 'operator' }, world.clock());
    tenants.keys.set(record.keyId, record);
    keys[tenantId] = key;
  }
  const admin = new Hono<AppEnv>();
  admin.use('*', requireKey(tenants, 'admin'));
  admin.route('/', adminWebhookRoutes(world.deps));
  const app = new Hono<AppEnv>();
  app.use('*', requestId());
  app.route(BASE, admin);
  app.onError((error, c) => errorToResponse(error, c, world.deps.logger));

  const call = (tenant: string, method: string, path = '', body?: unknown, headers: Record<string, string> = {}) => app.request(`${BASE}${path}`, {
    method,
    headers: { Authorization: `Bearer ${keys[tenant]}`, ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}), ...headers },
    ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
  });
  const register = async (tenant = 'acme', body: unknown = { url: 'https://hooks.example.com/in', events: ['opened'] }) => {
    const res = await call(tenant, 'POST', '', body);
    expect(res.status).toBe(201);
    return await res.json() as Created;
  };
  return { ...world, call, register };
}

async function expectProblem(res: Response, status: number): Promise<Problem> {
  expect(res.status).toBe(status);
  expect(res.headers.get('Content-Type')).toBe('application/problem+json');
  const body = await res.json() as Problem;
  expect(body.requestId).toBe(res.headers.get('X-Request-Id'));
  return body;
}

describe('POST /v1/admin/webhooks', () => {
  it('answers 201 with the secret once, a Location and no-store when the request is valid', async () => {
    const { call, deps } = await buildAdminApp();

    const res = await call('acme', 'POST', '', { url: 'https://hooks.example.com/in', events: ['opened', 'bounced'] }, { 'User-Agent': 'admin-console/1' });

    expect(res.status).toBe(201);
    const body = await res.json() as Created;
    expect(Object.keys(body).sort()).toEqual(['createdAt', 'events', 'id', 'secret', 'url']);
    expect(body.secret).toMatch(/^whsec_/);
    expect(res.headers.get('Location')).toBe(`${BASE}/${body.id}`);
    expect(res.headers.get('Cache-Control')).toBe('no-store');
    expect(deps.events.events[0]).toMatchObject({ type: 'webhook_created', objectId: body.id, userAgent: 'admin-console/1' });
  });

  it.each([
    ['an http URL', { url: 'http://hooks.example.com/', events: ['opened'] }, 'url'],
    ['a metadata-service URL', { url: 'https://169.254.169.254/', events: ['opened'] }, 'url'],
    ['an unknown event type', { url: 'https://hooks.example.com/', events: ['opened', 'nope'] }, 'events/1'],
    ['a repeated event type', { url: 'https://hooks.example.com/', events: ['opened', 'opened'] }, 'events'],
    ['no events', { url: 'https://hooks.example.com/', events: [] }, 'events'],
    ['a missing url', { events: ['opened'] }, 'url'],
    ['an unknown field', { url: 'https://hooks.example.com/', events: ['opened'], secret: 'mine' }, '(body)'],
  ])('answers 422 naming the field and stores nothing when the body has %s', async (_name, body, field) => {
    const { call, deps } = await buildAdminApp();

    const problem = await expectProblem(await call('acme', 'POST', '', body), 422);

    expect(problem.errors?.map((e) => e.field)).toContain(field);
    expect(deps.webhooks.endpoints.size).toBe(0);
  });

  it('answers 415 when the body is not sent as JSON', async () => {
    const { call } = await buildAdminApp();

    await expectProblem(await call('acme', 'POST', '', undefined, { 'Content-Type': 'text/plain' }), 415);
  });

  it('answers 409 when the tenant already has ten endpoints', async () => {
    const { call, register } = await buildAdminApp();
    for (let i = 0; i < 10; i++) await register();

    const problem = await expectProblem(await call('acme', 'POST', '', { url: 'https://hooks.example.com/in', events: ['*'] }), 409);

    expect(problem.detail).toMatch(/already has 10/);
  });

  it('answers 403 and stores nothing when the key has only the send scope', async () => {
    const { call, deps } = await buildAdminApp();

    await expectProblem(await call('acme-send', 'POST', '', { url: 'https://hooks.example.com/in', events: ['*'] }), 403);

    expect(deps.webhooks.endpoints.size).toBe(0);
  });
});

describe('GET /v1/admin/webhooks', () => {
  it('lists the tenant\'s endpoints with their status and never the secret when some exist', async () => {
    const { call, register } = await buildAdminApp();
    const mine = await register();
    await register('other');

    const res = await call('acme', 'GET');
    const text = await res.text();

    expect(res.status).toBe(200);
    expect(JSON.parse(text)).toEqual({ webhooks: [{ id: mine.id, url: mine.url, events: ['opened'], createdAt: mine.createdAt, status: { attempts: 0 } }] });
    expect(text).not.toContain(mine.secret);
    expect(text).not.toMatch(/secret/i);
  });
});

describe('/v1/admin/webhooks/:id', () => {
  it('shows, lists deliveries of, pings and deletes the endpoint when its own tenant asks', async () => {
    const { call, register, deps } = await buildAdminApp();
    const mine = await register();

    const shown = await call('acme', 'GET', `/${mine.id}`);
    const ping = await call('acme', 'POST', `/${mine.id}/ping`);
    const deliveries = await call('acme', 'GET', `/${mine.id}/deliveries?limit=10`);
    const deleted = await call('acme', 'DELETE', `/${mine.id}`);
    const after = await call('acme', 'GET', `/${mine.id}`);

    expect(shown.status).toBe(200);
    expect(await shown.json()).toMatchObject({ id: mine.id, status: { attempts: 0 } });
    expect(await ping.json()).toEqual({ delivered: true, statusCode: 200 });
    const listed = await deliveries.json() as { deliveries: { eventType: string; status: string }[] };
    expect(listed.deliveries).toMatchObject([{ eventType: 'ping', status: 'delivered', attempt: 1 }]);
    expect(deleted.status).toBe(204);
    expect(after.status).toBe(404);
    expect(deps.events.events.map((e) => e.type)).toEqual(['webhook_created', 'webhook_deleted']);
  });

  it.each([
    ['GET', ''], ['DELETE', ''], ['GET', '/deliveries'], ['POST', '/ping'],
  ])('answers 404 and changes nothing when another tenant sends %s %s', async (method, suffix) => {
    const { call, register, deps } = await buildAdminApp();
    const theirs = await register('other');

    const problem = await expectProblem(await call('acme', method, `/${theirs.id}${suffix}`), 404);

    expect(problem.detail).toMatch(/No webhook with this id/);
    expect(deps.webhooks.endpoints.has(theirs.id)).toBe(true);
    expect(deps.sender.requests).toHaveLength(0);
  });

  it('answers 422 when the deliveries limit is out of range', async () => {
    const { call, register } = await buildAdminApp();
    const mine = await register();

    const problem = await expectProblem(await call('acme', 'GET', `/${mine.id}/deliveries?limit=0`), 422);

    expect(problem.errors?.[0]?.field).toBe('limit');
  });

  it.each([
    ['PUT', '', 'GET, POST'], ['PATCH', '/wh_AAAAAAAAAAAAAAAA', 'GET, DELETE'], ['DELETE', '/wh_AAAAAAAAAAAAAAAA/deliveries', 'GET'], ['GET', '/wh_AAAAAAAAAAAAAAAA/ping', 'POST'],
  ])('answers 405 with Allow when %s is sent to %s', async (method, path, allow) => {
    const { call } = await buildAdminApp();

    const res = await call('acme', method, path);

    expect(res.status).toBe(405);
    expect(res.headers.get('Allow')).toBe(allow);
  });
});
