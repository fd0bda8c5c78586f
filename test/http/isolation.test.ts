/**
 * Tenant isolation over every /v1 route, in one table: tenant B's keys on tenant A's resources get
 * 404 (as if they did not exist), B's send key on admin routes gets 403, and nothing of A changes
 * or shows up in B's lists.
 */
import { describe, expect, it } from 'vitest';
import { aSendRequest, buildTestApp, sendJson } from '../helpers/builders.ts';

interface Resources { messageId: string; keyId: string; webhookId: string }

interface Row {
  readonly route: string;
  readonly method: string;
  readonly path: (a: Resources) => string;
  readonly body?: unknown;
  /** Which of B's keys calls it. */
  readonly as: 'send' | 'admin';
  readonly expect: 404 | 403;
}

const ROWS: readonly Row[] = [
  { route: 'GET /v1/messages/{id}', method: 'GET', path: (a) => `/v1/messages/${a.messageId}`, as: 'send', expect: 404 },
  { route: 'PATCH /v1/messages/{id}', method: 'PATCH', path: (a) => `/v1/messages/${a.messageId}`, body: { expiresInDays: 20 }, as: 'send', expect: 404 },
  { route: 'DELETE /v1/messages/{id}', method: 'DELETE', path: (a) => `/v1/messages/${a.messageId}`, as: 'send', expect: 404 },
  { route: 'GET /v1/messages/{id} (admin key)', method: 'GET', path: (a) => `/v1/messages/${a.messageId}`, as: 'admin', expect: 404 },
  { route: 'DELETE /v1/admin/keys/{id}', method: 'DELETE', path: (a) => `/v1/admin/keys/${a.keyId}`, as: 'admin', expect: 404 },
  { route: 'GET /v1/admin/webhooks/{id}', method: 'GET', path: (a) => `/v1/admin/webhooks/${a.webhookId}`, as: 'admin', expect: 404 },
  { route: 'DELETE /v1/admin/webhooks/{id}', method: 'DELETE', path: (a) => `/v1/admin/webhooks/${a.webhookId}`, as: 'admin', expect: 404 },
  { route: 'GET /v1/admin/webhooks/{id}/deliveries', method: 'GET', path: (a) => `/v1/admin/webhooks/${a.webhookId}/deliveries`, as: 'admin', expect: 404 },
  { route: 'POST /v1/admin/webhooks/{id}/ping', method: 'POST', path: (a) => `/v1/admin/webhooks/${a.webhookId}/ping`, as: 'admin', expect: 404 },
  { route: 'GET /v1/admin/settings (send key)', method: 'GET', path: () => '/v1/admin/settings', as: 'send', expect: 403 },
  { route: 'PATCH /v1/admin/settings (send key)', method: 'PATCH', path: () => '/v1/admin/settings', body: { displayName: 'Pwned' }, as: 'send', expect: 403 },
  { route: 'POST /v1/admin/keys (send key)', method: 'POST', path: () => '/v1/admin/keys', body: { scope: 'admin' }, as: 'send', expect: 403 },
  { route: 'GET /v1/admin/keys (send key)', method: 'GET', path: () => '/v1/admin/keys', as: 'send', expect: 403 },
  { route: 'DELETE /v1/admin/keys/{id} (send key)', method: 'DELETE', path: (a) => `/v1/admin/keys/${a.keyId}`, as: 'send', expect: 403 },
  { route: 'POST /v1/admin/webhooks (send key)', method: 'POST', path: () => '/v1/admin/webhooks', body: { url: 'https://hooks.example.com/x', events: ['opened'] }, as: 'send', expect: 403 },
  { route: 'GET /v1/admin/webhooks (send key)', method: 'GET', path: () => '/v1/admin/webhooks', as: 'send', expect: 403 },
];

async function twoTenants() {
  const setup = await buildTestApp();
  const { app, keys, adminKeys } = setup;
  const json = (key: string, method: string, path: string, body?: unknown) => app.request(path, {
    method, headers: { Authorization: `Bearer ${key}`, ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const messageId = (await (await sendJson(app, keys.acme as string, aSendRequest())).json() as { id: string }).id;
  const keyId = (await (await json(adminKeys.acme as string, 'POST', '/v1/admin/keys', { scope: 'send' })).json() as { id: string }).id;
  const webhookId = (await (await json(adminKeys.acme as string, 'POST', '/v1/admin/webhooks', { url: 'https://hooks.acme.example/in', events: ['opened'] })).json() as { id: string }).id;
  const b = { send: keys.other as string, admin: adminKeys.other as string };
  return { ...setup, json, a: { messageId, keyId, webhookId }, b };
}

describe('tenant isolation', () => {
  it.each(ROWS)('$route with tenant B\'s $as key on tenant A\'s resource answers $expect', async (row) => {
    const { json, a, b, deps, webhookAdmin } = await twoTenants();
    // Everything of tenant A (B's own key records change: their "last used" time).
    const snapshot = async () => JSON.stringify([
      [...deps.store.heads.values()], [...deps.tenants.keys.values()].filter((k) => k.tenantId === 'acme'),
      [...deps.tenants.tenants.values()], await webhookAdmin.webhooks.listForTenant('acme'),
    ]);
    const before = await snapshot();

    const response = await json(b[row.as], row.method, row.path(a), row.body);

    expect(response.status).toBe(row.expect);
    expect(response.headers.get('Content-Type')).toBe('application/problem+json');
    expect(await snapshot()).toBe(before);
  });

  it('keeps every list of tenant B free of tenant A\'s messages, keys, webhooks, events and settings', async () => {
    const { json, a, b } = await twoTenants();

    const bodies = await Promise.all([
      json(b.send, 'GET', '/v1/messages'), json(b.send, 'GET', '/v1/events'), json(b.admin, 'GET', '/v1/admin/keys'),
      json(b.admin, 'GET', '/v1/admin/webhooks'), json(b.admin, 'GET', '/v1/admin/settings'),
    ].map(async (p) => {
      const response = await p;
      expect(response.status).toBe(200);
      return response.text();
    }));

    for (const body of bodies) {
      for (const secretOfA of [a.messageId, a.keyId, a.webhookId, 'acme', 'Acme Health']) expect(body).not.toContain(secretOfA);
    }
  });
});
