/**
 * Webhook delivery: the payload, the signed request, and the dispatcher that walks each due
 * endpoint through its tenant's event feed, in order, one event at a time, with retries.
 */
import { eventPosition, type EventType, type StoredEvent, type EventLog } from '../audit/index.ts';
import { toBase64Url, describeError, type Clock, type KeyWrapper, type Logger, type RandomBytes } from '../shared/index.ts';
import type { WebhookEndpoint, WebhookProgress, WebhookResult, WebhookSender, WebhookStore } from './ports.ts';
import { SIGNATURE_HEADER, signWebhook } from './signature.ts';

/** Waits after the 1st, 2nd, … failed attempt at an event; after the last one the event is given up. */
export const RETRY_SCHEDULE_SECONDS = [30, 120, 600, 1800, 3600, 3 * 3600, 6 * 3600, 12 * 3600] as const;
/**
 * Only events recorded this long ago are delivered: the tenant feed is an eventually consistent
 * index, so a younger event may still appear before one already seen.
 */
export const SETTLE_SECONDS = 10;
/** How long a claimed endpoint stays with one dispatcher; well beyond a run's time budget. */
export const LEASE_SECONDS = 300;
/** Retry delay when the endpoint could not be worked on at all (KMS or the event log failed). */
export const DEPENDENCY_RETRY_SECONDS = 60;
/** Delivery records are kept this long (TTL), then vanish on their own. */
export const DELIVERY_RETENTION_DAYS = 30;
export const WEBHOOK_USER_AGENT = 'sealpost-webhooks/1';

export interface DispatchDeps {
  readonly webhooks: WebhookStore;
  readonly events: EventLog;
  readonly sender: WebhookSender;
  readonly keys: KeyWrapper;
  readonly clock: Clock;
  readonly random: RandomBytes;
  readonly logger: Logger;
}

export interface DispatchOptions {
  /** Endpoints looked at per run (default 50). */
  readonly maxEndpoints?: number;
  /** Events delivered (or given up) per endpoint per run (default 25). */
  readonly maxEventsPerEndpoint?: number;
  /** No new delivery starts after this many ms of the run (default 40 000, for a once-a-minute schedule). */
  readonly budgetMs?: number;
  /** Endpoints worked on at once (default 4). */
  readonly concurrency?: number;
}

export interface DispatchSummary {
  endpoints: number;
  delivered: number;
  failed: number;
  gaveUp: number;
}

/** The KMS encryption context of an endpoint's secret: a wrapped secret moved elsewhere does not unwrap. */
export function secretContext(tenantId: string, webhookId: string): Record<string, string> {
  return { tenantId, webhookId, purpose: 'webhook-signing' };
}

/** The secret as shown to the admin and used as the HMAC key. */
export function secretText(bytes: Uint8Array): string {
  return `whsec_${toBase64Url(bytes)}`;
}

/** The endpoint's secret text, unwrapped by KMS under its context (throws DependencyError when that fails). */
export async function unwrapWebhookSecret(keys: KeyWrapper, endpoint: WebhookEndpoint): Promise<string> {
  const bytes = await keys.unwrap(endpoint.wrappedSecret, secretContext(endpoint.tenantId, endpoint.id));
  const text = secretText(bytes);
  bytes.fill(0);
  return text;
}

/**
 * The JSON body of an event delivery. Leaves out the caller's IP address and user agent: personal
 * data a receiver has no use for.
 */
export function webhookBody(event: StoredEvent): string {
  return JSON.stringify({
    id: event.eventId,
    type: event.type,
    recordedAt: event.recordedAt,
    occurredAt: event.at,
    tenantId: event.tenantId,
    data: {
      messageId: event.messageId, recipient: event.recipient, actor: event.actor, detail: event.detail,
      objectId: event.objectId, before: event.before, after: event.after,
    },
  });
}

export interface Payload {
  readonly eventId: string;
  readonly eventType: EventType | 'ping';
  readonly body: string;
}

/**
 * Sends one signed attempt (a fresh delivery id and timestamp each time). Returns the result and
 * when the attempt started; the caller records it, since only the caller knows its status.
 */
export async function sendSigned(
  deps: Pick<DispatchDeps, 'sender' | 'clock' | 'random'>, endpoint: WebhookEndpoint, secret: string, payload: Payload,
): Promise<{ deliveryId: string; at: Date; result: WebhookResult }> {
  const deliveryId = `dlv_${toBase64Url(deps.random(12))}`;
  const at = deps.clock();
  const timestamp = Math.floor(at.getTime() / 1000);
  const result = await deps.sender.send({
    url: endpoint.url,
    body: payload.body,
    headers: {
      'Content-Type': 'application/json',
      'User-Agent': WEBHOOK_USER_AGENT,
      'Sealpost-Event-Id': payload.eventId,
      'Sealpost-Event-Type': payload.eventType,
      'Sealpost-Delivery': deliveryId,
      [SIGNATURE_HEADER]: await signWebhook(secret, timestamp, payload.body),
    },
  });
  return { deliveryId, at, result };
}

function progressOf(endpoint: WebhookEndpoint): WebhookProgress {
  return {
    position: endpoint.position, attempts: endpoint.attempts,
    ...(endpoint.failingSince ? { failingSince: endpoint.failingSince } : {}),
    ...(endpoint.lastDeliveryAt ? { lastDeliveryAt: endpoint.lastDeliveryAt } : {}),
  };
}

const addSeconds = (date: Date, seconds: number) => new Date(date.getTime() + seconds * 1000);

async function runEndpoint(
  deps: DispatchDeps, listed: WebhookEndpoint, now: Date, limits: Required<DispatchOptions>, deadline: number, summary: DispatchSummary,
): Promise<void> {
  const token = toBase64Url(deps.random(12));
  const endpoint = await deps.webhooks.claim(listed.id, listed.nextAttemptAt, token, addSeconds(now, LEASE_SECONDS));
  if (!endpoint) return; // another dispatcher has it
  summary.endpoints++;
  const log = { webhookId: endpoint.id, tenantId: endpoint.tenantId };
  let progress = progressOf(endpoint);
  // Due again on the next run unless a failure says otherwise.
  let release = now;
  try {
    const secret = await unwrapWebhookSecret(deps.keys, endpoint);
    const types = endpoint.events[0] === '*' ? undefined : (endpoint.events as readonly EventType[]);
    const until = addSeconds(now, -SETTLE_SECONDS).toISOString();
    let handled = 0;
    let more = true;
    feed: while (more) {
      const page = await deps.events.listForTenant(endpoint.tenantId, {
        after: progress.position, until, limit: limits.maxEventsPerEndpoint, ...(types ? { types } : {}),
      });
      for (const event of page.events) {
        if (handled >= limits.maxEventsPerEndpoint || deps.clock().getTime() > deadline) break feed;
        handled++;
        const attempt = progress.attempts + 1;
        const { deliveryId, at, result } = await sendSigned(deps, endpoint, secret, { eventId: event.eventId, eventType: event.type, body: webhookBody(event) });
        const record = {
          id: deliveryId, webhookId: endpoint.id, tenantId: endpoint.tenantId, at: at.toISOString(), eventId: event.eventId, eventType: event.type,
          attempt, durationMs: result.durationMs, ...(result.statusCode !== undefined ? { statusCode: result.statusCode } : {}),
        };
        if (result.ok) {
          progress = { position: eventPosition(event), attempts: 0, lastDeliveryAt: record.at };
          if (!await deps.webhooks.saveProgress(endpoint.id, token, progress)) return lost(deps, log);
          await deps.webhooks.recordDelivery({ ...record, status: 'delivered' });
          summary.delivered++;
          continue;
        }
        const failingSince = progress.failingSince ?? record.at;
        const wait = RETRY_SCHEDULE_SECONDS[attempt - 1];
        deps.logger.warn('webhook_delivery_failed', { ...log, eventId: event.eventId, attempt, error: result.error, statusCode: result.statusCode, gaveUp: wait === undefined });
        if (wait === undefined) {
          // Out of retries: the event is passed over so that later events are not held up for ever.
          progress = { ...progress, position: eventPosition(event), attempts: 0, failingSince };
          if (!await deps.webhooks.saveProgress(endpoint.id, token, progress)) return lost(deps, log);
          await deps.webhooks.recordDelivery({ ...record, status: 'gave_up', error: result.error ?? 'unknown' });
          summary.gaveUp++;
          continue;
        }
        release = addSeconds(at, wait);
        progress = { ...progress, attempts: attempt, failingSince };
        await deps.webhooks.recordDelivery({ ...record, status: 'failed', error: result.error ?? 'unknown', nextAttemptAt: release.toISOString() });
        summary.failed++;
        break feed;
      }
      // The whole page is handled: move past the events the type filter skipped too, so the next
      // run does not read them again.
      if (page.cursor !== undefined && page.cursor > progress.position) progress = { ...progress, position: page.cursor };
      more = page.hasMore && handled < limits.maxEventsPerEndpoint;
    }
  } catch (error) {
    deps.logger.error('webhook_dispatch_failed', { ...log, error: describeError(error) });
    release = addSeconds(now, DEPENDENCY_RETRY_SECONDS);
  }
  if (!await deps.webhooks.saveProgress(endpoint.id, token, progress, release)) lost(deps, log);
}

function lost(deps: DispatchDeps, log: Record<string, string>): void {
  deps.logger.warn('webhook_lease_lost', log);
}

/**
 * One dispatcher run: claims each due endpoint (a lease, so two runs never deliver to the same
 * endpoint at once) and delivers its tenant's new events in order, stopping at an endpoint's first
 * failure until its retry is due. At-least-once: a crash between a delivery and its checkpoint
 * sends that event again, so receivers deduplicate by Sealpost-Event-Id. Call it once a minute.
 */
export async function dispatchWebhooks(deps: DispatchDeps, now: Date, options: DispatchOptions = {}): Promise<DispatchSummary> {
  const limits: Required<DispatchOptions> = {
    maxEndpoints: options.maxEndpoints ?? 50, maxEventsPerEndpoint: options.maxEventsPerEndpoint ?? 25,
    budgetMs: options.budgetMs ?? 40_000, concurrency: options.concurrency ?? 4,
  };
  const deadline = now.getTime() + limits.budgetMs;
  const summary: DispatchSummary = { endpoints: 0, delivered: 0, failed: 0, gaveUp: 0 };
  const due = await deps.webhooks.listDue(now, limits.maxEndpoints);
  let next = 0;
  const worker = async () => {
    for (let item = due[next++]; item; item = due[next++]) {
      try {
        await runEndpoint(deps, item, now, limits, deadline, summary);
      } catch (error) {
        // A store failure on claim or release: the lease (if taken) runs out and the endpoint comes due again.
        deps.logger.error('webhook_dispatch_failed', { webhookId: item.id, tenantId: item.tenantId, error: describeError(error) });
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limits.concurrency, due.length) }, worker));
  // A run that sent nothing (endpoints up to date, or waiting for a retry) says nothing: it runs every minute.
  if (summary.delivered + summary.failed > 0) deps.logger.info('webhook_dispatch', { ...summary });
  return summary;
}
