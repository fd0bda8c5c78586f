import { describe, expect, it } from 'vitest';
import { ConflictError, NotFoundError, ValidationError, fromBase64Url } from '../../../functions/core/shared/index.ts';
import {
  secretContext, verifyWebhookSignature, MAX_WEBHOOKS_PER_TENANT, createWebhook, deleteWebhook, listWebhookDeliveries, listWebhooks,
  pingWebhook, type NewWebhook,
} from '../../../functions/core/webhooks/index.ts';
import { aWebhookWorld, anAdmin } from '../../helpers/webhook-fakes.ts';

const aWebhook = (overrides: Partial<NewWebhook> = {}): NewWebhook => ({ url: 'https://hooks.example.com/sealpost?token=abc', events: ['opened', 'bounced'], ...overrides });

async function issuesFor(promise: Promise<unknown>): Promise<readonly { field: string; message: string }[]> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(ValidationError);
  return (error as ValidationError).issues;
}

describe('createWebhook', () => {
  it('returns a wh_ id and a whsec_ secret once and stores only the wrapped secret when the input is valid', async () => {
    const { deps } = aWebhookWorld();

    const created = await createWebhook(deps, anAdmin(), aWebhook());

    expect(created.id).toMatch(/^wh_[A-Za-z0-9_-]{16}$/);
    expect(created.secret).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);
    expect(created).toMatchObject({ url: 'https://hooks.example.com/sealpost?token=abc', events: ['opened', 'bounced'], createdAt: '2026-11-29T12:00:00.000Z' });
    const stored = deps.webhooks.endpoints.get(created.id);
    const secretBytes = fromBase64Url(created.secret.slice('whsec_'.length));
    const storedText = JSON.stringify(stored, (_k, v: unknown) => (v instanceof Uint8Array ? Buffer.from(v).toString('hex') : v));
    expect(storedText).not.toContain(created.secret.slice(6));
    expect(storedText).not.toContain(Buffer.from(secretBytes).toString('hex'));
    expect(await deps.keys.unwrap(stored?.wrappedSecret as Uint8Array, secretContext('acme', created.id))).toEqual(secretBytes);
  });

  it('binds the wrapped secret to its tenant and endpoint when it is stored', async () => {
    const { deps } = aWebhookWorld();

    const created = await createWebhook(deps, anAdmin(), aWebhook());

    const wrapped = deps.webhooks.endpoints.get(created.id)?.wrappedSecret as Uint8Array;
    await expect(deps.keys.unwrap(wrapped, secretContext('other', created.id))).rejects.toThrow();
    await expect(deps.keys.unwrap(wrapped, secretContext('acme', 'wh_BBBBBBBBBBBBBBBB'))).rejects.toThrow();
  });

  it('records webhook_created without the secret or the query string when an endpoint is registered', async () => {
    const { deps } = aWebhookWorld();

    const created = await createWebhook(deps, anAdmin(), aWebhook(), { sourceIp: '203.0.113.9', userAgent: 'curl/8' });

    expect(deps.events.events).toHaveLength(1);
    expect(deps.events.events[0]).toMatchObject({
      tenantId: 'acme', type: 'webhook_created', actor: 'key:0123456789abcdef', objectId: created.id, sourceIp: '203.0.113.9', userAgent: 'curl/8',
      after: { url: 'https://hooks.example.com/sealpost', events: ['opened', 'bounced'] },
    });
    const everything = JSON.stringify([deps.events.events, deps.logger.lines]);
    expect(everything).not.toContain(created.secret.slice(6));
    expect(everything).not.toContain('token=abc');
  });

  it.each([
    ['http://hooks.example.com/', 'must use https://'],
    ['ftp://hooks.example.com/', 'must use https://'],
    ['/relative/path', 'absolute URL'],
    ['https://user:pass@hooks.example.com/', 'user name or password'],
    ['https://hooks.example.com/#frag', 'fragment'],
    [`https://hooks.example.com/${'a'.repeat(2040)}`, 'at most 2048'],
    ['https://127.0.0.1/', 'public address'],
    ['https://2130706433/', 'public address'],
    ['https://[::1]/', 'public address'],
    ['https://[::ffff:10.0.0.1]/', 'public address'],
    ['https://10.0.0.1/', 'public address'],
    ['https://169.254.169.254/latest/meta-data', 'public address'],
    ['https://localhost:8443/', 'public address'],
  ])('refuses %s when registering in production mode', async (url, message) => {
    const { deps } = aWebhookWorld();

    const issues = await issuesFor(createWebhook(deps, anAdmin(), aWebhook({ url })));

    expect(issues).toEqual([{ field: 'url', message: expect.stringContaining(message) }]);
    expect(deps.webhooks.endpoints.size).toBe(0);
  });

  it('accepts http to loopback but still refuses private addresses when local mode allows both', async () => {
    const { deps } = aWebhookWorld({ urlPolicy: { allowInsecureHttp: true, allowLoopback: true } });

    const created = await createWebhook(deps, anAdmin(), aWebhook({ url: 'http://127.0.0.1:4000/hook' }));
    const issues = await issuesFor(createWebhook(deps, anAdmin(), aWebhook({ url: 'http://192.168.1.20/hook' })));

    expect(created.url).toBe('http://127.0.0.1:4000/hook');
    expect(issues.map((i) => i.field)).toEqual(['url']);
  });

  it.each([
    [[], 'at least one'],
    [['*', 'opened'], 'must be alone'],
    [['opened', 'opened'], 'repeat'],
    [['opened', 'nope'], 'unknown event type "nope"'],
  ])('refuses the event filter %j when it breaks the rules', async (events, message) => {
    const { deps } = aWebhookWorld();

    const issues = await issuesFor(createWebhook(deps, anAdmin(), aWebhook({ events: events as NewWebhook['events'] })));

    expect(issues).toEqual([{ field: 'events', message: expect.stringContaining(message) }]);
  });

  it('refuses an endpoint with a ConflictError when the tenant already has the most allowed', async () => {
    const { deps } = aWebhookWorld();
    for (let i = 0; i < MAX_WEBHOOKS_PER_TENANT; i++) await createWebhook(deps, anAdmin(), aWebhook());

    const error = await createWebhook(deps, anAdmin(), aWebhook()).catch((e: unknown) => e);
    await createWebhook(deps, anAdmin('other'), aWebhook());

    expect(error).toBeInstanceOf(ConflictError);
    expect((error as ConflictError).detail).toContain(`already has ${MAX_WEBHOOKS_PER_TENANT}`);
    expect(deps.webhooks.endpoints.size).toBe(MAX_WEBHOOKS_PER_TENANT + 1);
  });
});

describe('listWebhooks', () => {
  it('lists only the tenant\'s endpoints, without any secret, when several tenants have some', async () => {
    const { deps } = aWebhookWorld();
    const mine = await createWebhook(deps, anAdmin(), aWebhook({ events: ['*'] }));
    await createWebhook(deps, anAdmin('other'), aWebhook());

    const listed = await listWebhooks(deps, anAdmin());

    expect(listed).toEqual([{ id: mine.id, url: mine.url, events: ['*'], createdAt: mine.createdAt, status: { attempts: 0 } }]);
    expect(JSON.stringify(listed)).not.toMatch(/secret|whsec_/i);
  });
});

describe('deleteWebhook', () => {
  it('deletes the endpoint and records webhook_deleted when the tenant owns it', async () => {
    const { deps } = aWebhookWorld();
    const created = await createWebhook(deps, anAdmin(), aWebhook());

    await deleteWebhook(deps, anAdmin(), created.id);

    expect(deps.webhooks.endpoints.size).toBe(0);
    expect(deps.events.events.map((e) => [e.type, e.objectId])).toEqual([['webhook_created', created.id], ['webhook_deleted', created.id]]);
  });

  it('throws NotFoundError and keeps the endpoint when another tenant asks to delete it', async () => {
    const { deps } = aWebhookWorld();
    const created = await createWebhook(deps, anAdmin('other'), aWebhook());

    await expect(deleteWebhook(deps, anAdmin('acme'), created.id)).rejects.toBeInstanceOf(NotFoundError);

    expect(deps.webhooks.endpoints.has(created.id)).toBe(true);
    expect(deps.events.events.map((e) => e.type)).toEqual(['webhook_created']);
  });

  it.each(['wh_AAAAAAAAAAAAAAAA', 'wh_short', '../etc'])('throws NotFoundError when the id %s is unknown or malformed', async (id) => {
    const { deps } = aWebhookWorld();

    await expect(deleteWebhook(deps, anAdmin(), id)).rejects.toBeInstanceOf(NotFoundError);
  });
});

describe('listWebhookDeliveries', () => {
  it('hides records past the 30-day retention when TTL has not deleted them yet', async () => {
    const { deps, clock } = aWebhookWorld();
    const created = await createWebhook(deps, anAdmin(), aWebhook());
    const base = { webhookId: created.id, tenantId: 'acme', eventId: 'ev_x', eventType: 'opened' as const, attempt: 1, status: 'delivered' as const, durationMs: 3 };
    await deps.webhooks.recordDelivery({ ...base, id: 'dlv_old', at: '2026-10-01T00:00:00.000Z' });
    await deps.webhooks.recordDelivery({ ...base, id: 'dlv_new', at: '2026-11-20T00:00:00.000Z' });
    clock.set('2026-11-29T12:00:00.000Z');

    const deliveries = await listWebhookDeliveries(deps, anAdmin(), created.id, 50);

    expect(deliveries.map((d) => d.id)).toEqual(['dlv_new']);
    expect(deliveries[0]).not.toHaveProperty('tenantId');
  });
});

describe('pingWebhook', () => {
  it('sends a ping signed with the shown secret and records it when the receiver answers 2xx', async () => {
    const { deps, clock } = aWebhookWorld();
    const created = await createWebhook(deps, anAdmin(), aWebhook());

    const result = await pingWebhook(deps, anAdmin(), created.id);

    expect(result).toEqual({ delivered: true, statusCode: 200 });
    const [request] = deps.sender.requests;
    expect(request?.headers['Sealpost-Event-Type']).toBe('ping');
    expect(JSON.parse(request?.body ?? '{}')).toMatchObject({ type: 'ping', tenantId: 'acme', data: { objectId: created.id } });
    expect(await verifyWebhookSignature(created.secret, request?.headers['Sealpost-Signature'], request?.body ?? '', clock().getTime() / 1000)).toBe(true);
    expect(deps.webhooks.deliveries).toMatchObject([{ webhookId: created.id, eventType: 'ping', status: 'delivered', statusCode: 200, attempt: 1 }]);
  });

  it('reports the error class and changes no delivery state when the receiver fails', async () => {
    const { deps } = aWebhookWorld();
    const created = await createWebhook(deps, anAdmin(), aWebhook());
    deps.sender.script.push({ ok: false, statusCode: 503, error: 'http-503' });

    const result = await pingWebhook(deps, anAdmin(), created.id);

    expect(result).toEqual({ delivered: false, statusCode: 503, error: 'http-503' });
    expect(deps.webhooks.endpoints.get(created.id)).toMatchObject({ attempts: 0, position: created.createdAt });
    expect(deps.webhooks.deliveries[0]).toMatchObject({ status: 'failed', error: 'http-503' });
  });

  it('throws NotFoundError and sends nothing when the endpoint belongs to another tenant', async () => {
    const { deps } = aWebhookWorld();
    const created = await createWebhook(deps, anAdmin('other'), aWebhook());

    await expect(pingWebhook(deps, anAdmin(), created.id)).rejects.toBeInstanceOf(NotFoundError);

    expect(deps.sender.requests).toHaveLength(0);
  });
});
