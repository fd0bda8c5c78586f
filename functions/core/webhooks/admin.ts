/**
 * Webhook administration: register, list, delete, inspect deliveries, ping. The secret is returned
 * once at registration and otherwise exists only wrapped by the KeyWrapper (KMS); it never reaches
 * a log line, an error or an audit event.
 */
import { appendEvents, EVENT_TYPES, type EventLog } from '../audit/index.ts';
import { classifyAddress, isAllowedAddress, isLocalhostName, type AddressPolicy } from './address-policy.ts';
import {
  toBase64Url, ConflictError, DependencyError, NotFoundError, ValidationError, addDays, type FieldIssue, type Clock, type KeyWrapper,
  type Logger, type RandomBytes,
} from '../shared/index.ts';
import type { Principal } from '../tenants/index.ts';
import { DELIVERY_RETENTION_DAYS, secretContext, secretText, sendSigned, unwrapWebhookSecret } from './dispatch.ts';
import type { WebhookDelivery, WebhookEndpoint, WebhookFailure, WebhookEventFilter, WebhookSender, WebhookStore } from './ports.ts';

export const MAX_WEBHOOKS_PER_TENANT = 10;
export const MAX_WEBHOOK_URL_LENGTH = 2048;
const WEBHOOK_ID = /^wh_[A-Za-z0-9_-]{16}$/;

/** Which URLs may be registered. Production: https to public addresses only. */
export interface WebhookUrlPolicy extends AddressPolicy {
  /** Local mode only: accept plain http:// URLs. */
  readonly allowInsecureHttp: boolean;
}

export interface WebhookAdminDeps {
  readonly webhooks: WebhookStore;
  readonly events: EventLog;
  readonly keys: KeyWrapper;
  readonly sender: WebhookSender;
  readonly clock: Clock;
  readonly random: RandomBytes;
  readonly logger: Logger;
  readonly urlPolicy: WebhookUrlPolicy;
}

export interface NewWebhook {
  readonly url: string;
  readonly events: WebhookEventFilter;
}

/** The answer to a registration: the only time the secret is ever shown. */
export interface CreatedWebhook {
  readonly id: string;
  readonly secret: string;
  readonly url: string;
  readonly events: WebhookEventFilter;
  readonly createdAt: string;
}

export interface WebhookView {
  readonly id: string;
  readonly url: string;
  readonly events: WebhookEventFilter;
  readonly createdAt: string;
  readonly status: {
    /** Failed attempts at the event now being retried (0 when healthy). */
    readonly attempts: number;
    /** When the next retry is due (only while failing). */
    readonly nextAttemptAt?: string;
    readonly failingSince?: string;
    readonly lastDeliveryAt?: string;
  };
}

export type DeliveryView = Omit<WebhookDelivery, 'tenantId' | 'webhookId'>;

export interface PingResult {
  readonly delivered: boolean;
  readonly statusCode?: number;
  readonly error?: WebhookFailure;
}

interface RequestContext {
  readonly sourceIp?: string | undefined;
  readonly userAgent?: string | undefined;
}

const NOT_FOUND = 'No webhook with this id exists for your organisation.';

/** The URL as it will be stored (normalised by the WHATWG parser), or why it cannot be registered. */
export function checkWebhookUrl(text: string, policy: WebhookUrlPolicy): { url: string } | { problem: string } {
  if (text.length > MAX_WEBHOOK_URL_LENGTH) return { problem: `must be at most ${MAX_WEBHOOK_URL_LENGTH} characters` };
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return { problem: 'must be an absolute URL such as "https://example.com/hooks/sealpost"' };
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && policy.allowInsecureHttp)) return { problem: 'must use https://' };
  if (url.username || url.password) return { problem: 'must not contain a user name or password; authenticate deliveries by their signature' };
  if (url.hash) return { problem: 'must not contain a fragment (#…)' };
  // The WHATWG parser has already turned numeric forms such as http://2130706433/ into dotted quads.
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const local = isLocalhostName(host);
  const cls = classifyAddress(host);
  if ((local && !policy.allowLoopback) || (cls !== undefined && !isAllowedAddress(host, policy))) {
    return { problem: 'must point to a public address: loopback, private, link-local and reserved addresses are refused' };
  }
  if (url.href.length > MAX_WEBHOOK_URL_LENGTH) return { problem: `must be at most ${MAX_WEBHOOK_URL_LENGTH} characters` };
  return { url: url.href };
}

function checkEvents(events: WebhookEventFilter): string | undefined {
  if (events.length === 0) return 'needs at least one event type, or ["*"] for all';
  if ((events as readonly string[]).includes('*')) return events.length === 1 ? undefined : '"*" stands for all event types and must be alone';
  if (new Set(events).size !== events.length) return 'must not repeat an event type';
  const unknown = events.find((e) => !(EVENT_TYPES as readonly string[]).includes(e));
  return unknown === undefined ? undefined : `unknown event type "${unknown}"`;
}

/** Scheme, host and path only: a query string may carry the receiver's own credentials. */
function urlForAudit(url: string): string {
  const parsed = new URL(url);
  return `${parsed.origin}${parsed.pathname}`;
}

export function isWellFormedWebhookId(id: string): boolean {
  return WEBHOOK_ID.test(id);
}

function toView(endpoint: WebhookEndpoint): WebhookView {
  return {
    id: endpoint.id, url: endpoint.url, events: endpoint.events, createdAt: endpoint.createdAt,
    status: {
      attempts: endpoint.attempts,
      ...(endpoint.attempts > 0 ? { nextAttemptAt: endpoint.nextAttemptAt } : {}),
      ...(endpoint.failingSince ? { failingSince: endpoint.failingSince } : {}),
      ...(endpoint.lastDeliveryAt ? { lastDeliveryAt: endpoint.lastDeliveryAt } : {}),
    },
  };
}

async function owned(deps: Pick<WebhookAdminDeps, 'webhooks'>, principal: Principal, webhookId: string): Promise<WebhookEndpoint> {
  // Another tenant's endpoint is indistinguishable from a missing one.
  const endpoint = isWellFormedWebhookId(webhookId) ? await deps.webhooks.get(principal.tenant.id, webhookId) : undefined;
  if (!endpoint) throw new NotFoundError(NOT_FOUND);
  return endpoint;
}

/**
 * Registers an endpoint for the principal's tenant. It receives events recorded from now on.
 * Throws ValidationError for a URL or filter that breaks the rules, ConflictError at the limit.
 */
export async function createWebhook(deps: WebhookAdminDeps, principal: Principal, input: NewWebhook, ctx: RequestContext = {}): Promise<CreatedWebhook> {
  const issues: FieldIssue[] = [];
  const checked = checkWebhookUrl(input.url, deps.urlPolicy);
  if ('problem' in checked) issues.push({ field: 'url', message: checked.problem });
  const eventsProblem = checkEvents(input.events);
  if (eventsProblem) issues.push({ field: 'events', message: eventsProblem });
  if (issues.length > 0 || !('url' in checked)) {
    throw new ValidationError(issues.map((i) => `${i.field}: ${i.message}`).join('; '), issues);
  }
  const tenantId = principal.tenant.id;
  // A count, then a put: two registrations racing at the limit could both pass. The limit bounds
  // dispatcher work per tenant; one endpoint over it is harmless, so no counter item is kept.
  if ((await deps.webhooks.listForTenant(tenantId)).length >= MAX_WEBHOOKS_PER_TENANT) {
    throw new ConflictError(`Your organisation already has ${MAX_WEBHOOKS_PER_TENANT} webhook endpoints, the most allowed. Delete one before adding another.`);
  }
  const id = `wh_${toBase64Url(deps.random(12))}`;
  const secretBytes = deps.random(32);
  const secret = secretText(secretBytes);
  const wrappedSecret = await deps.keys.wrap(secretBytes, secretContext(tenantId, id));
  secretBytes.fill(0);
  const createdAt = deps.clock().toISOString();
  const endpoint: WebhookEndpoint = {
    id, tenantId, url: checked.url, events: input.events, createdAt, createdBy: `key:${principal.keyId}`, wrappedSecret,
    position: createdAt, attempts: 0, nextAttemptAt: createdAt,
  };
  if (!await deps.webhooks.create(endpoint)) {
    throw new DependencyError('The webhook could not be registered; nothing was stored. Try again.', 'webhook-store');
  }
  await appendEvents(deps, [{
    tenantId, type: 'webhook_created', at: createdAt, actor: `key:${principal.keyId}`, objectId: id,
    after: { url: urlForAudit(endpoint.url), events: [...endpoint.events] }, sourceIp: ctx.sourceIp, userAgent: ctx.userAgent,
    retentionDays: principal.tenant.settings.auditRetentionDays,
  }]);
  return { id, secret, url: endpoint.url, events: endpoint.events, createdAt };
}

/** The tenant's endpoints and their delivery health; never a secret. */
export async function listWebhooks(deps: Pick<WebhookAdminDeps, 'webhooks'>, principal: Principal): Promise<WebhookView[]> {
  return (await deps.webhooks.listForTenant(principal.tenant.id)).map(toView);
}

/** One of the tenant's endpoints (NotFoundError for an unknown id or another tenant's). */
export async function getWebhook(deps: Pick<WebhookAdminDeps, 'webhooks'>, principal: Principal, webhookId: string): Promise<WebhookView> {
  return toView(await owned(deps, principal, webhookId));
}

/** Deletes the tenant's endpoint (NotFoundError for an unknown id or another tenant's). */
export async function deleteWebhook(deps: WebhookAdminDeps, principal: Principal, webhookId: string, ctx: RequestContext = {}): Promise<void> {
  const endpoint = await owned(deps, principal, webhookId);
  if (!await deps.webhooks.delete(principal.tenant.id, webhookId)) throw new NotFoundError(NOT_FOUND);
  await appendEvents(deps, [{
    tenantId: principal.tenant.id, type: 'webhook_deleted', at: deps.clock().toISOString(), actor: `key:${principal.keyId}`, objectId: webhookId,
    before: { url: urlForAudit(endpoint.url), events: [...endpoint.events] }, sourceIp: ctx.sourceIp, userAgent: ctx.userAgent,
    retentionDays: principal.tenant.settings.auditRetentionDays,
  }]);
}

/** The endpoint's delivery records, newest first (kept 30 days). */
export async function listWebhookDeliveries(
  deps: Pick<WebhookAdminDeps, 'webhooks' | 'clock'>, principal: Principal, webhookId: string, limit: number,
): Promise<DeliveryView[]> {
  await owned(deps, principal, webhookId);
  const deliveries = await deps.webhooks.listDeliveries(principal.tenant.id, webhookId, limit);
  // TTL deletes late: a record past its retention is hidden here rather than shown for extra days.
  const oldest = addDays(deps.clock(), -DELIVERY_RETENTION_DAYS).toISOString();
  return deliveries.filter((d) => d.at >= oldest).map(({ tenantId: _t, webhookId: _w, ...view }) => view);
}

/**
 * Sends a signed "ping" to the endpoint right away (outside the event feed and its retries) and
 * records it as a delivery, so an admin can check the receiver and its signature verification.
 */
export async function pingWebhook(deps: WebhookAdminDeps, principal: Principal, webhookId: string): Promise<PingResult> {
  const endpoint = await owned(deps, principal, webhookId);
  const secret = await unwrapWebhookSecret(deps.keys, endpoint);
  const now = deps.clock().toISOString();
  const eventId = `ping_${toBase64Url(deps.random(12))}`;
  const body = JSON.stringify({ id: eventId, type: 'ping', recordedAt: now, occurredAt: now, tenantId: endpoint.tenantId, data: { actor: `key:${principal.keyId}`, objectId: endpoint.id } });
  const { deliveryId, at, result } = await sendSigned(deps, endpoint, secret, { eventId, eventType: 'ping', body });
  await deps.webhooks.recordDelivery({
    id: deliveryId, webhookId: endpoint.id, tenantId: endpoint.tenantId, at: at.toISOString(), eventId, eventType: 'ping', attempt: 1,
    status: result.ok ? 'delivered' : 'failed', durationMs: result.durationMs,
    ...(result.statusCode !== undefined ? { statusCode: result.statusCode } : {}),
    ...(result.ok ? {} : { error: result.error ?? 'unknown' }),
  });
  return { delivered: result.ok, ...(result.statusCode !== undefined ? { statusCode: result.statusCode } : {}), ...(result.ok ? {} : { error: result.error ?? 'unknown' }) };
}
