import { describe, expect, it } from 'vitest';
import { MESSAGE_CENTER_NOTICE, VERIFICATION_NOTICE, approveHostname } from '../../functions/core/tenants/index.ts';
import { aSendRequest, buildTestApp, sendJson } from '../helpers/builders.ts';

type App = Awaited<ReturnType<typeof buildTestApp>>['app'];

function call(app: App, key: string | undefined, method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  return app.request(path, {
    method,
    headers: { ...(key ? { Authorization: `Bearer ${key}` } : {}), ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}), ...headers },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
}

// A 1×1 PNG (one blue pixel), with valid CRCs.
const PNG_1PX = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGOQ9bsBAAHPAURf8l/aAAAAAElFTkSuQmCC';

describe('admin settings', () => {
  it('shows the tenant\'s settings with its revision as ETag', async () => {
    const { app, adminKeys } = await buildTestApp();

    const response = await call(app, adminKeys.acme, 'GET', '/v1/admin/settings');

    expect(response.status).toBe(200);
    expect(response.headers.get('ETag')).toBe('"1"');
    expect(await response.json()).toEqual({
      tenantId: 'acme', revision: 1, displayName: 'Acme Health', senderAddress: 'notices@acme.example', replyTo: null, portalHostnames: [], pendingHostnames: [],
      defaultExpiryDays: 14, maxExpiryDays: 90, brand: { primaryColor: null, logoUrl: null }, messageCenter: false, verification: 'none',
      auditRetentionDays: 2192,
    });
  });

  it('merges a patch, bumps the revision and records who changed what, before and after', async () => {
    const { app, adminKeys, deps } = await buildTestApp();

    const response = await call(app, adminKeys.acme, 'PATCH', '/v1/admin/settings', { displayName: 'Acme Clinics', brand: { primaryColor: '#1D4ED8' }, replyTo: 'care@acme.example' });

    expect(response.status).toBe(200);
    const body = await response.json() as Record<string, unknown>;
    expect(body).toMatchObject({ revision: 2, displayName: 'Acme Clinics', replyTo: 'care@acme.example', brand: { primaryColor: '#1d4ed8' }, senderAddress: 'notices@acme.example', notices: [] });
    const event = deps.events.events.find((e) => e.type === 'settings_changed');
    expect(event).toMatchObject({
      tenantId: 'acme', actor: expect.stringMatching(/^key:/),
      before: { displayName: 'Acme Health', replyTo: null, 'brand.primaryColor': null },
      after: { displayName: 'Acme Clinics', replyTo: 'care@acme.example', 'brand.primaryColor': '#1d4ed8' },
    });
    expect(Object.keys(event?.after ?? {})).toHaveLength(3);
  });

  it('refuses a primary colour without AA contrast against white, naming the ratio, and changes nothing', async () => {
    const { app, adminKeys, deps } = await buildTestApp();

    const response = await call(app, adminKeys.acme, 'PATCH', '/v1/admin/settings', { brand: { primaryColor: '#7dd3fc' } });

    expect(response.status).toBe(422);
    const problem = await response.json() as { errors: { field: string; message: string }[] };
    expect(problem.errors[0]).toEqual({ field: 'brand/primaryColor', message: expect.stringMatching(/contrast of 1\.\d\d:1 .* at least 4\.5:1/) });
    expect(deps.tenants.tenants.get('acme')?.revision).toBe(1);
    expect(deps.events.events).toHaveLength(0);
  });

  it('stores an uploaded PNG logo, serves its URL by digest, and clears it with null', async () => {
    const { app, adminKeys, deps } = await buildTestApp();

    const set = await (await call(app, adminKeys.acme, 'PATCH', '/v1/admin/settings', { brand: { logo: { contentType: 'image/png', data: PNG_1PX } } })).json() as { brand: { logoUrl: string } };

    expect(set.brand.logoUrl).toMatch(/^\/brand\/acme\/logo\/[A-Za-z0-9_-]{43}$/);
    const digest = set.brand.logoUrl.split('/').at(-1) as string;
    expect(deps.tenants.logos.has(`acme/${digest}`)).toBe(true);
    const cleared = await (await call(app, adminKeys.acme, 'PATCH', '/v1/admin/settings', { brand: { logo: null } })).json() as { brand: { logoUrl: null } };
    expect(cleared.brand.logoUrl).toBeNull();
    expect(deps.tenants.logos.has(`acme/${digest}`)).toBe(false);
  });

  it('refuses an SVG logo with a script', async () => {
    const { app, adminKeys } = await buildTestApp();
    const svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script><rect width="1" height="1"/></svg>').toString('base64');

    const response = await call(app, adminKeys.acme, 'PATCH', '/v1/admin/settings', { brand: { logo: { contentType: 'image/svg+xml', data: svg } } });

    expect(response.status).toBe(422);
    expect(JSON.stringify(await response.json())).toMatch(/brand\/logo/);
  });

  it('lets an admin only ask for a hostname: it waits for the operator, serves nothing, and the operator\'s approval gives it to one tenant', async () => {
    const { app, adminKeys, deps } = await buildTestApp();
    const operator = { tenants: deps.tenants, events: deps.events, clock: deps.clock, logger: deps.logger };

    const asked = await call(app, adminKeys.acme, 'PATCH', '/v1/admin/settings', { portalHostnames: ['Secure.Acme.Example'] });
    const askedBody = await asked.json() as { portalHostnames: string[]; pendingHostnames: string[]; notices: string[] };
    const servedBefore = await deps.tenants.tenantForHostname('secure.acme.example');
    await call(app, adminKeys.other, 'PATCH', '/v1/admin/settings', { portalHostnames: ['secure.acme.example'] });
    await approveHostname(operator, 'acme', 'secure.acme.example');
    const second = await call(app, adminKeys.other, 'PATCH', '/v1/admin/settings', { portalHostnames: ['secure.acme.example', 'secure.other.example'] });

    expect(asked.status).toBe(200);
    expect(askedBody).toMatchObject({ portalHostnames: [], pendingHostnames: ['secure.acme.example'] });
    expect(askedBody.notices.join(' ')).toContain('once the operator of this sealpost deployment has approved it');
    expect(servedBefore).toBeUndefined();
    expect((await deps.tenants.tenantForHostname('secure.acme.example'))?.id).toBe('acme');
    await expect(approveHostname(operator, 'other', 'secure.acme.example')).rejects.toThrow(/already serves another organisation/);
    expect(second.status).toBe(409);
    expect(deps.tenants.tenants.get('other')?.settings).toMatchObject({ portalHostnames: [], pendingHostnames: ['secure.acme.example'] });
    expect(deps.events.events.filter((e) => e.type === 'settings_changed' && e.actor === 'operator')).toEqual([
      expect.objectContaining({ tenantId: 'acme', detail: 'hostname secure.acme.example approved', after: { portalHostnames: ['secure.acme.example'], pendingHostnames: [] } }),
    ]);
  });

  it('answers 409 for a stale If-Match revision and 422 for unknown fields or a default beyond the maximum', async () => {
    const { app, adminKeys } = await buildTestApp();

    expect((await call(app, adminKeys.acme, 'PATCH', '/v1/admin/settings', { displayName: 'X' }, { 'If-Match': '"7"' })).status).toBe(409);
    expect((await call(app, adminKeys.acme, 'PATCH', '/v1/admin/settings', { colour: 'red' })).status).toBe(422);
    const tooLong = await call(app, adminKeys.acme, 'PATCH', '/v1/admin/settings', { defaultExpiryDays: 30, maxExpiryDays: 20 });
    expect(tooLong.status).toBe(422);
    expect(await tooLong.json()).toMatchObject({ errors: [{ field: 'defaultExpiryDays' }] });
    expect((await call(app, adminKeys.acme, 'PATCH', '/v1/admin/settings', { hostnames: 'x' }, { 'Content-Type': 'text/plain' })).status).toBe(415);
  });

  it('says in plain words what toggling Message Center does, and stores the verification policy', async () => {
    const { app, adminKeys } = await buildTestApp();

    const on = await (await call(app, adminKeys.acme, 'PATCH', '/v1/admin/settings', { messageCenter: true, verification: 'email-code' })).json() as { notices: string[]; messageCenter: boolean; verification: string };
    const off = await (await call(app, adminKeys.acme, 'PATCH', '/v1/admin/settings', { messageCenter: false })).json() as { notices: string[] };

    expect(on).toMatchObject({ messageCenter: true, verification: 'email-code', notices: [MESSAGE_CENTER_NOTICE.on, VERIFICATION_NOTICE['email-code']] });
    expect(on.notices[0]).toMatch(/Messages sent before now .* only through the link/);
    expect(off.notices).toEqual([MESSAGE_CENTER_NOTICE.off]);
  });

  it('is closed to send keys (403) and to no key (401)', async () => {
    const { app, keys } = await buildTestApp();

    expect((await call(app, keys.acme, 'GET', '/v1/admin/settings')).status).toBe(403);
    expect((await call(app, undefined, 'GET', '/v1/admin/settings')).status).toBe(401);
  });
});

describe('audit retention', () => {
  it('keeps the tenant\'s events for its chosen retention, and a message\'s events for the retention in force when it was sent', async () => {
    const { app, adminKeys, keys, deps } = await buildTestApp();
    const appended: { type: string; retentionDays?: number }[] = [];
    const append = deps.events.append.bind(deps.events);
    deps.events.append = async (events) => { appended.push(...events.map((e) => ({ type: e.type, ...(e.retentionDays !== undefined ? { retentionDays: e.retentionDays } : {}) }))); return append(events); };

    expect((await call(app, adminKeys.acme, 'PATCH', '/v1/admin/settings', { auditRetentionDays: 400 })).status).toBe(200);
    await sendJson(app, keys.acme, aSendRequest());

    expect(appended).toEqual([
      { type: 'settings_changed', retentionDays: 400 }, { type: 'created', retentionDays: 400 }, { type: 'notified', retentionDays: 400 },
    ]);
    expect((await call(app, adminKeys.acme, 'PATCH', '/v1/admin/settings', { auditRetentionDays: 100 })).status).toBe(422);
  });
});

describe('admin keys', () => {
  it('creates a send key shown once, lists it without the key, and records key_created', async () => {
    const { app, adminKeys, deps } = await buildTestApp();

    const created = await call(app, adminKeys.acme, 'POST', '/v1/admin/keys', { scope: 'send' });

    expect(created.status).toBe(201);
    const body = await created.json() as { id: string; key: string; scope: string };
    expect(body).toMatchObject({ id: expect.stringMatching(/^[0-9a-f]{16}$/), scope: 'send' });
    expect(body.key.startsWith(`sp_${body.id}_`)).toBe(true);
    expect((await sendJson(app, body.key, aSendRequest())).status).toBe(201);
    const listed = await (await call(app, adminKeys.acme, 'GET', '/v1/admin/keys')).json() as { keys: Record<string, unknown>[] };
    expect(JSON.stringify(listed)).not.toContain(body.key);
    expect(listed.keys.find((k) => k.id === body.id)).toMatchObject({ scope: 'send', revokedAt: null, lastUsedAt: expect.any(String) });
    expect(deps.events.events.find((e) => e.type === 'key_created')).toMatchObject({ objectId: body.id, detail: 'scope send' });
  });

  it('revokes a key so that it answers 401 at once; another tenant\'s key id is 404', async () => {
    const { app, adminKeys, deps } = await buildTestApp();
    const { id, key } = await (await call(app, adminKeys.acme, 'POST', '/v1/admin/keys', { scope: 'send' })).json() as { id: string; key: string };

    expect((await call(app, adminKeys.other, 'DELETE', `/v1/admin/keys/${id}`)).status).toBe(404);
    expect((await sendJson(app, key, aSendRequest())).status).toBe(201);
    expect((await call(app, adminKeys.acme, 'DELETE', `/v1/admin/keys/${id}`)).status).toBe(204);
    expect((await sendJson(app, key, aSendRequest())).status).toBe(401);
    expect((await call(app, adminKeys.acme, 'DELETE', `/v1/admin/keys/${id}`)).status).toBe(204);
    expect(deps.events.events.filter((e) => e.type === 'key_revoked')).toHaveLength(1);
  });

  it('refuses an unknown scope and methods the route does not have', async () => {
    const { app, adminKeys } = await buildTestApp();

    expect((await call(app, adminKeys.acme, 'POST', '/v1/admin/keys', { scope: 'root' })).status).toBe(422);
    const put = await call(app, adminKeys.acme, 'PUT', '/v1/admin/keys');
    expect(put.status).toBe(405);
    expect(put.headers.get('Allow')).toBe('GET, POST');
  });
});
