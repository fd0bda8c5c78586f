import { describe, expect, it } from 'vitest';
import { eventPosition, type AuditEvent, type StoredEvent } from '../../../functions/core/audit/index.ts';
import {
  RETRY_SCHEDULE_SECONDS, dispatchWebhooks, verifyWebhookSignature, createWebhook, type NewWebhook,
} from '../../../functions/core/webhooks/index.ts';
import { aWebhookWorld, anAdmin } from '../../helpers/webhook-fakes.ts';

const anEvent = (overrides: Partial<AuditEvent> = {}): AuditEvent => ({
  tenantId: 'acme', type: 'opened', at: '2026-11-29T12:00:00.500Z', actor: 'recipient:r0', messageId: 'm_1', recipient: 'r0', ...overrides,
});

/** A world with one registered endpoint; events are appended after it, the clock then moves past the settle window. */
async function withEndpoint(input: Partial<NewWebhook> = {}) {
  const world = aWebhookWorld();
  const created = await createWebhook(world.deps, anAdmin(), { url: 'https://hooks.example.com/in', events: ['opened', 'bounced'], ...input });
  world.advanceSeconds(1);
  const append = async (...events: AuditEvent[]) => {
    for (const event of events) {
      await world.deps.events.append([event]);
      world.advanceSeconds(1);
    }
  };
  const settle = () => world.advanceSeconds(15);
  const run = (options = {}) => dispatchWebhooks(world.deps, world.clock(), options);
  const endpoint = () => world.deps.webhooks.endpoints.get(created.id);
  return { ...world, created, append, settle, run, endpoint };
}

describe('dispatchWebhooks', () => {
  it('delivers new events in order, signed with the shown secret, when the endpoint is due', async () => {
    const { deps, created, append, settle, run, clock, endpoint } = await withEndpoint();
    await append(anEvent({ detail: 'first' }), anEvent({ type: 'bounced', detail: 'second', sourceIp: '198.51.100.7', userAgent: 'Mozilla' }));
    settle();

    const summary = await run();

    expect(summary).toEqual({ endpoints: 1, delivered: 2, failed: 0, gaveUp: 0 });
    const bodies = deps.sender.bodies();
    expect(bodies.map((b) => b.type)).toEqual(['opened', 'bounced']);
    expect(bodies[1]).toEqual({
      id: deps.events.events[2]?.eventId, type: 'bounced', recordedAt: deps.events.events[2]?.recordedAt, occurredAt: '2026-11-29T12:00:00.500Z',
      tenantId: 'acme', data: { messageId: 'm_1', recipient: 'r0', actor: 'recipient:r0', detail: 'second' },
    });
    for (const request of deps.sender.requests) {
      expect(request.url).toBe('https://hooks.example.com/in');
      expect(request.headers).toMatchObject({ 'Content-Type': 'application/json', 'User-Agent': 'sealpost-webhooks/1', 'Sealpost-Event-Type': expect.any(String) });
      expect(request.headers['Sealpost-Delivery']).toMatch(/^dlv_/);
      expect(await verifyWebhookSignature(created.secret, request.headers['Sealpost-Signature'], request.body, clock().getTime() / 1000)).toBe(true);
    }
    expect(deps.webhooks.deliveries.map((d) => [d.eventType, d.status, d.attempt])).toEqual([['opened', 'delivered', 1], ['bounced', 'delivered', 1]]);
    expect(endpoint()).toMatchObject({ attempts: 0, lastDeliveryAt: clock().toISOString() });
    expect(endpoint()?.leaseToken).toBeUndefined();
  });

  it('sends each event once when it runs again with nothing new', async () => {
    const { deps, append, settle, run } = await withEndpoint();
    await append(anEvent());
    settle();

    await run();
    settle();
    const second = await run();

    expect(second.delivered).toBe(0);
    expect(deps.sender.requests).toHaveLength(1);
  });

  it('logs a run that delivered something, and stays silent when it sent nothing', async () => {
    const { deps, append, settle, run } = await withEndpoint();
    await append(anEvent());
    settle();

    await run();
    const afterDelivery = deps.logger.lines.length;
    settle();
    const idle = await run();

    expect(deps.logger.lines.filter((l) => l.includes('"webhook_dispatch"'))).toHaveLength(1);
    expect(idle.endpoints).toBe(1);
    expect(deps.logger.lines).toHaveLength(afterDelivery);
  });

  it('skips events of other types and of before its creation when filtering', async () => {
    const world = aWebhookWorld();
    await world.deps.events.append([anEvent({ detail: 'before creation' })]);
    world.advanceSeconds(1);
    await createWebhook(world.deps, anAdmin(), { url: 'https://hooks.example.com/in', events: ['opened'] });
    world.advanceSeconds(1);
    await world.deps.events.append([anEvent({ type: 'created' }), anEvent({ detail: 'after' }), anEvent({ tenantId: 'other', detail: 'other tenant' })]);
    world.advanceSeconds(15);

    await dispatchWebhooks(world.deps, world.clock());

    expect(world.deps.sender.bodies().map((b) => (b.data as { detail?: string }).detail)).toEqual(['after']);
  });

  it('sends the endpoint its own webhook_created event first when it subscribes to all events', async () => {
    const { deps, created, append, settle, run } = await withEndpoint({ events: ['*'] });
    await append(anEvent());
    settle();

    await run();

    expect(deps.sender.bodies().map((b) => [b.type, (b.data as { objectId?: string }).objectId])).toEqual([['webhook_created', created.id], ['opened', undefined]]);
  });

  it('waits for the settle window when an event was recorded less than 10 s ago', async () => {
    const { deps, append, run, advanceSeconds } = await withEndpoint();
    await append(anEvent());

    await run();
    const tooYoung = deps.sender.requests.length;
    advanceSeconds(10);
    await run();

    expect(tooYoung).toBe(0);
    expect(deps.sender.requests).toHaveLength(1);
  });

  it('moves its position past events the filter skipped when a whole page is handled', async () => {
    const { deps, append, settle, run, endpoint } = await withEndpoint({ events: ['opened'] });
    await append(anEvent(), anEvent({ type: 'created' }), anEvent({ type: 'created' }));
    settle();

    await run();

    expect(deps.sender.requests).toHaveLength(1);
    expect(endpoint()?.position).toBe(eventPosition(deps.events.events.at(-1) as StoredEvent));
  });

  it('records the failure, holds later events back and retries after 30 s when the receiver answers 500', async () => {
    const { deps, append, settle, run, advanceSeconds, endpoint, clock } = await withEndpoint();
    await append(anEvent({ detail: 'a' }), anEvent({ detail: 'b' }));
    settle();
    deps.sender.script.push({ ok: false, statusCode: 500, error: 'http-500' });
    const failedAt = clock();

    const first = await run();
    advanceSeconds(29);
    const early = await run();
    advanceSeconds(1);
    const retry = await run();

    expect(first).toMatchObject({ delivered: 0, failed: 1 });
    expect(early.endpoints).toBe(0);
    expect(retry).toMatchObject({ delivered: 2, failed: 0 });
    expect(deps.sender.bodies().map((b) => (b.data as { detail: string }).detail)).toEqual(['a', 'a', 'b']);
    expect(deps.webhooks.deliveries.map((d) => [d.status, d.attempt, d.statusCode, d.error])).toEqual([
      ['failed', 1, 500, 'http-500'], ['delivered', 2, 200, undefined], ['delivered', 1, 200, undefined],
    ]);
    expect(deps.webhooks.deliveries[0]?.nextAttemptAt).toBe(new Date(failedAt.getTime() + 30_000).toISOString());
    expect(endpoint()).toMatchObject({ attempts: 0 });
    expect(endpoint()?.failingSince).toBeUndefined();
  });

  it('shows attempts and failingSince on the endpoint when deliveries keep failing', async () => {
    const { deps, append, settle, run, advanceSeconds, endpoint, clock } = await withEndpoint();
    await append(anEvent());
    settle();
    deps.sender.fallback = { ok: false, error: 'timeout' };
    const since = clock().toISOString();

    await run();
    advanceSeconds(30);
    await run();

    expect(endpoint()).toMatchObject({ attempts: 2, failingSince: since, nextAttemptAt: new Date(clock().getTime() + 120_000).toISOString() });
  });

  it('follows the retry schedule, then records gave_up and moves on to the next event when every attempt fails', async () => {
    const { deps, append, settle, run, advanceSeconds, endpoint } = await withEndpoint();
    await append(anEvent({ detail: 'doomed' }), anEvent({ detail: 'next' }));
    settle();
    deps.sender.script.push(...Array.from({ length: RETRY_SCHEDULE_SECONDS.length + 1 }, () => ({ ok: false, error: 'connection' as const })));

    await run();
    for (let i = 0; i < RETRY_SCHEDULE_SECONDS.length; i++) {
      const next = Date.parse(endpoint()?.nextAttemptAt ?? '');
      advanceSeconds((next - deps.clock().getTime()) / 1000);
      await run();
    }

    const statuses = deps.webhooks.deliveries.map((d) => `${d.status}#${d.attempt}`);
    expect(statuses.slice(-2)).toEqual([`gave_up#${RETRY_SCHEDULE_SECONDS.length + 1}`, 'delivered#1']);
    expect(statuses.filter((s) => s.startsWith('failed'))).toHaveLength(RETRY_SCHEDULE_SECONDS.length);
    expect(deps.webhooks.deliveries.filter((d) => d.status === 'failed').map((d) => (Date.parse(d.nextAttemptAt ?? '') - Date.parse(d.at)) / 1000))
      .toEqual([...RETRY_SCHEDULE_SECONDS]);
    expect(deps.sender.bodies().at(-1)?.data).toMatchObject({ detail: 'next' });
    expect(endpoint()?.attempts).toBe(0);
  });

  it('unwraps the secret once per endpoint and run when it delivers several events', async () => {
    const { deps, append, settle, run } = await withEndpoint();
    await append(anEvent(), anEvent(), anEvent());
    settle();

    await run();

    expect(deps.keys.unwrapCalls).toBe(1);
    expect(deps.sender.requests).toHaveLength(3);
  });

  it('stops at the per-run bound and continues on the next run when more events are waiting', async () => {
    const { deps, append, settle, run } = await withEndpoint();
    await append(...['1', '2', '3', '4', '5'].map((detail) => anEvent({ detail })));
    settle();

    const first = await run({ maxEventsPerEndpoint: 2 });
    const second = await run({ maxEventsPerEndpoint: 2 });
    const third = await run({ maxEventsPerEndpoint: 2 });

    expect([first.delivered, second.delivered, third.delivered]).toEqual([2, 2, 1]);
    expect(deps.sender.bodies().map((b) => (b.data as { detail: string }).detail)).toEqual(['1', '2', '3', '4', '5']);
  });

  it('delivers each event once when two dispatchers run at the same time', async () => {
    const { deps, append, settle, clock } = await withEndpoint();
    await append(anEvent(), anEvent());
    settle();

    const summaries = await Promise.all([dispatchWebhooks(deps, clock()), dispatchWebhooks(deps, clock())]);

    expect(summaries.map((s) => s.endpoints).sort()).toEqual([0, 1]);
    expect(deps.sender.requests).toHaveLength(2);
  });

  it('stops sending when the endpoint is deleted during a run', async () => {
    const { deps, created, append, settle, run } = await withEndpoint();
    await append(anEvent(), anEvent(), anEvent());
    settle();
    const send = deps.sender.send.bind(deps.sender);
    deps.sender.send = async (request) => {
      deps.webhooks.endpoints.delete(created.id);
      return send(request);
    };

    await run();

    expect(deps.sender.requests).toHaveLength(1);
    expect(deps.logger.lines.some((l) => l.includes('webhook_lease_lost'))).toBe(true);
  });

  it('sends nothing and tries again a minute later when the secret cannot be unwrapped', async () => {
    const { deps, append, settle, run, endpoint, clock } = await withEndpoint();
    await append(anEvent());
    settle();
    deps.keys.failUnwrap = true;

    await run();

    expect(deps.sender.requests).toHaveLength(0);
    expect(endpoint()).toMatchObject({ attempts: 0, nextAttemptAt: new Date(clock().getTime() + 60_000).toISOString() });
    expect(deps.logger.lines.some((l) => l.includes('webhook_dispatch_failed') && l.includes('KMS'))).toBe(true);
  });

  it('never writes the secret or the URL to a log line when deliveries fail', async () => {
    const { deps, created, append, settle, run } = await withEndpoint({ url: 'https://hooks.example.com/in?key=receiver-credential' });
    await append(anEvent());
    settle();
    deps.sender.fallback = { ok: false, statusCode: 401, error: 'http-401' };

    await run();

    expect(deps.logger.lines.some((l) => l.includes('webhook_delivery_failed'))).toBe(true);
    const logs = deps.logger.lines.join('\n');
    expect(logs).not.toContain(created.secret.slice(6));
    expect(logs).not.toContain('receiver-credential');
  });
});
