/**
 * Response bodies of the HTTP API as zod schemas, for the OpenAPI document (functions/http/openapi.ts)
 * and for tests that check real responses against it. The core types stay the source of truth:
 * the compile-time checks at the bottom fail `tsc` as soon as a schema and its core type differ in
 * a field, a type or whether a field is optional.
 */
import { z } from 'zod';
import type { createKey, KeySummary } from '../core/key-admin.ts';
import type { listMessages, MessageStatus, MessageSummary, RecipientStatus } from '../core/message-admin.ts';
import type { EventFeedPage, PublicEvent } from '../core/event-feed.ts';
import { EVENT_TYPES, type SendReceipt } from '../core/model.ts';
import type { SettingsView, updateSettings } from '../core/settings.ts';
import type { CreatedWebhook, DeliveryView, PingResult, WebhookView } from '../core/webhooks.ts';
import type { ProblemBody } from './problem.ts';

const isoTime = z.string().describe('ISO 8601 date-time in UTC, e.g. 2026-11-29T22:15:35.019Z');
const eventType = z.enum(EVENT_TYPES);

export const sendReceiptSchema = z.object({
  id: z.string().describe('The message id (22 base64url characters)'),
  expiresAt: isoTime,
  recipients: z.array(z.object({
    email: z.string(),
    status: z.enum(['notified', 'failed']).describe('"notified": SES accepted the notification (not proof of delivery)'),
    reason: z.string().optional().describe('Why the notification failed'),
  })),
});

export const recipientStatusSchema = z.object({
  email: z.string(),
  kind: z.enum(['to', 'cc']),
  status: z.string().describe('"pending", "notified" or "failed": the outcome of the send'),
  reason: z.string().optional(),
  notifiedAt: isoTime.optional(),
  firstOpenedAt: isoTime.optional(),
  lastOpenedAt: isoTime.optional(),
  opens: z.number().int().describe('Counted views (downloads of part 0)'),
});

export const messageSummarySchema = z.object({
  id: z.string(),
  state: z.enum(['active', 'expired', 'revoked']),
  createdAt: isoTime,
  expiresAt: isoTime.optional().describe('Absent only once the message record is gone and only its history remains'),
  revokedAt: isoTime.optional(),
  maxViews: z.number().int().optional().describe('Views allowed per recipient; absent means unlimited'),
  replyTo: z.string().optional(),
  recipients: z.array(recipientStatusSchema),
});

export const publicEventSchema = z.object({
  id: z.string().describe('"ev_…"'),
  type: eventType,
  at: isoTime.describe('When it happened (for mail feedback: when SES says it happened)'),
  recordedAt: isoTime.describe('When sealpost recorded it: the order of the events feed'),
  actor: z.string().describe('"key:<id>", "recipient:r0", "system", "operator" or "mail-service"'),
  messageId: z.string().optional(),
  recipient: z.string().optional(),
  detail: z.string().optional(),
  objectId: z.string().optional().describe('The key or webhook id of a tenant event'),
  before: z.record(z.string(), z.unknown()).optional(),
  after: z.record(z.string(), z.unknown()).optional(),
  sourceIp: z.string().optional(),
  userAgent: z.string().optional(),
});

export const messageStatusSchema = messageSummarySchema.extend({ events: z.array(publicEventSchema) });

export const messageListSchema = z.object({
  messages: z.array(messageSummarySchema).describe('Newest first'),
  cursor: z.string().optional().describe('Pass back as ?cursor= for the next page; absent on the last page'),
});

export const eventFeedPageSchema = z.object({
  events: z.array(publicEventSchema).describe('Oldest first (newest last)'),
  cursor: z.string().describe('Pass back as ?cursor= to continue, now or later (polling); an event of the last seconds may come again'),
  hasMore: z.boolean(),
});

export const settingsViewSchema = z.object({
  tenantId: z.string(),
  revision: z.number().int().describe('Also sent as the ETag; send it back in If-Match'),
  displayName: z.string(),
  senderAddress: z.string(),
  replyTo: z.string().nullable(),
  portalHostnames: z.array(z.string()),
  defaultExpiryDays: z.number().int(),
  maxExpiryDays: z.number().int(),
  brand: z.object({
    primaryColor: z.string().nullable(),
    logoUrl: z.string().nullable().describe('/brand/{tenantId}/logo/{digest}, relative to the portal origin'),
  }),
  messageCenter: z.boolean(),
  verification: z.enum(['none', 'email-code']),
  auditRetentionDays: z.number().int(),
});

export const settingsUpdateSchema = settingsViewSchema.extend({
  notices: z.array(z.string()).describe('What the change means, in plain words (e.g. turning Message Center on or off)'),
});

export const createdKeySchema = z.object({
  id: z.string().describe('The key\'s visible id (16 hex digits)'),
  key: z.string().describe('sp_<id>_<secret>: shown only in this response'),
  scope: z.enum(['send', 'admin']),
  createdAt: isoTime,
});

export const keySummarySchema = z.object({
  id: z.string(),
  scope: z.enum(['send', 'admin']),
  createdAt: isoTime,
  createdBy: z.string().optional().describe('"operator", "local" or "key:<id>"'),
  lastUsedAt: isoTime.nullable().describe('To a minute\'s precision'),
  revokedAt: isoTime.nullable(),
});

export const keyListSchema = z.object({ keys: z.array(keySummarySchema) });

const webhookEventsSchema = z.union([z.array(eventType), z.tuple([z.literal('*')])]).describe('Event types, or ["*"] for all');

export const createdWebhookSchema = z.object({
  id: z.string().describe('"wh_…"'),
  secret: z.string().describe('"whsec_…": the signing secret, shown only in this response'),
  url: z.string(),
  events: webhookEventsSchema,
  createdAt: isoTime,
});

export const webhookViewSchema = z.object({
  id: z.string(),
  url: z.string(),
  events: webhookEventsSchema,
  createdAt: isoTime,
  status: z.object({
    attempts: z.number().int().describe('Failed attempts at the event now being retried (0 when healthy)'),
    nextAttemptAt: isoTime.optional(),
    failingSince: isoTime.optional(),
    lastDeliveryAt: isoTime.optional(),
  }),
});

export const webhookListSchema = z.object({ webhooks: z.array(webhookViewSchema) });

export const deliveryViewSchema = z.object({
  id: z.string().describe('"dlv_…", also sent as the Sealpost-Delivery header'),
  at: isoTime,
  eventId: z.string(),
  eventType: z.union([eventType, z.literal('ping')]),
  attempt: z.number().int(),
  status: z.enum(['delivered', 'failed', 'gave_up']),
  statusCode: z.number().int().optional(),
  error: z.string().optional().describe('"timeout", "connection", "dns", "tls", "blocked-address", "insecure-url", "invalid-url" or "http-<code>"'),
  durationMs: z.number(),
  nextAttemptAt: isoTime.optional(),
});

export const deliveryListSchema = z.object({ deliveries: z.array(deliveryViewSchema).describe('Newest first, kept 30 days') });

export const pingResultSchema = z.object({
  delivered: z.boolean(),
  statusCode: z.number().int().optional(),
  error: z.string().optional(),
});

export const healthSchema = z.object({ status: z.literal('ok') });

export const problemSchema = z.object({
  type: z.string().describe('urn:sealpost:problem:<kind>'),
  title: z.string(),
  status: z.number().int(),
  detail: z.string(),
  requestId: z.string().describe('Also the X-Request-Id header; quote it to support'),
  errors: z.array(z.object({ field: z.string(), message: z.string() })).optional().describe('Validation: every field that breaks a rule'),
  recipients: z.array(z.object({ email: z.string(), status: z.string(), reason: z.string() })).optional().describe('delivery-failed: each recipient and why'),
});

// ---- compile-time checks: each schema's type equals its core type (modulo readonly) ----

type Writable<T> = T extends object ? { -readonly [K in keyof T]: Writable<T[K]> } : T;
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Expect<T extends true> = T;
type Mirrors<Schema extends z.ZodType, Core> = Same<z.output<Schema>, Writable<Core>>;

export type ResponseSchemaChecks = [
  Expect<Mirrors<typeof sendReceiptSchema, SendReceipt>>,
  Expect<Mirrors<typeof recipientStatusSchema, RecipientStatus>>,
  Expect<Mirrors<typeof messageSummarySchema, MessageSummary>>,
  Expect<Mirrors<typeof messageStatusSchema, MessageStatus>>,
  Expect<Mirrors<typeof messageListSchema, Awaited<ReturnType<typeof listMessages>>>>,
  Expect<Mirrors<typeof publicEventSchema, PublicEvent>>,
  Expect<Mirrors<typeof eventFeedPageSchema, EventFeedPage>>,
  Expect<Mirrors<typeof settingsViewSchema, SettingsView>>,
  Expect<Mirrors<typeof settingsUpdateSchema, Awaited<ReturnType<typeof updateSettings>>>>,
  Expect<Mirrors<typeof createdKeySchema, Awaited<ReturnType<typeof createKey>>>>,
  Expect<Mirrors<typeof keySummarySchema, KeySummary>>,
  Expect<Mirrors<typeof createdWebhookSchema, CreatedWebhook>>,
  Expect<Mirrors<typeof webhookViewSchema, WebhookView>>,
  Expect<Mirrors<typeof deliveryViewSchema, DeliveryView>>,
  Expect<Mirrors<typeof pingResultSchema, PingResult>>,
  Expect<Mirrors<typeof problemSchema, ProblemBody>>,
];
