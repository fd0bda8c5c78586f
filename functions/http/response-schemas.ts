/**
 * Response bodies of the HTTP API as zod schemas, for the OpenAPI document (functions/http/openapi.ts)
 * and for tests that check real responses against it. The core types stay the source of truth:
 * the compile-time checks at the bottom fail `tsc` as soon as a schema and its core type differ in
 * a field, a type or whether a field is optional.
 */
import * as z from 'zod';
import type { createKey, KeySummary, SettingsView, updateSettings } from '../core/tenants/index.ts';
import type { listMessages, MessageStatus, MessageSummary, OpenedUpload, partUploads, RecipientStatus, SendReceipt } from '../core/messages/index.ts';
import type { PartDownload } from '../core/pickup/index.ts';
import { EVENT_TYPES, type EventFeedPage, type PublicEvent } from '../core/audit/index.ts';
import type { CreatedWebhook, DeliveryView, PingResult, WebhookView } from '../core/webhooks/index.ts';
import type { InboxItem, openFromInbox, requestSignIn, RecoveryLink } from '../core/message-center/index.ts';
import { MAX_FIELD_CHARS, MAX_ISSUES, MAX_MESSAGE_CHARS, type ProblemBody } from './problem.ts';
import type { ReplyResponse } from './routes/reply.ts';

const isoTime = z.string().describe('ISO 8601 date-time in UTC, e.g. 2026-11-29T22:15:35.019Z');
const eventType = z.enum(EVENT_TYPES);

export const sendReceiptSchema = z.object({
  id: z.string().describe('The message id (22 base64url characters)'),
  expiresAt: isoTime,
  recipients: z.array(z.object({
    email: z.string(),
    status: z.enum(['notified', 'failed', 'sender']).describe('"notified": SES accepted the notification (not proof of delivery); "sender": you deliver the link yourself (a sealed upload with deliverLinksMyself)'),
    reason: z.string().optional().describe('Why the notification failed'),
  })),
});

export const recipientStatusSchema = z.object({
  email: z.string(),
  kind: z.enum(['to', 'cc']),
  status: z.string().describe('"pending", "notified", "failed" or "sender" (the sender delivers the link): the outcome of the send'),
  reason: z.string().optional(),
  notifiedAt: isoTime.optional(),
  firstOpenedAt: isoTime.optional(),
  lastOpenedAt: isoTime.optional(),
  opens: z.number().int().describe('Counted views (downloads of part 0)'),
});

const attachmentSummarySchema = z.object({
  count: z.number().int().describe('How many files the sender attached'),
  bytes: z.number().int().describe('Their decoded size in bytes, together'),
});

export const messageSummarySchema = z.object({
  id: z.string(),
  state: z.enum(['active', 'expired', 'revoked']),
  createdAt: isoTime,
  expiresAt: isoTime.optional().describe('Absent only once the message record is gone and only its history remains'),
  revokedAt: isoTime.optional(),
  maxViews: z.number().int().optional().describe('Views allowed per recipient; absent means unlimited'),
  replyTo: z.string().optional(),
  sizeBytes: z.number().int().optional().describe('The sealed message\'s size in bytes (content, attachments and encryption overhead): what is stored and what a recipient downloads. Absent only once just the history remains'),
  custody: z.enum(['link', 'message-center']).optional().describe('"link": only the emailed links open it; "message-center": the secrets are also kept, wrapped by KMS, for the inbox and emergency recovery. Absent only once just the history remains'),
  verification: z.enum(['none', 'email-code']).optional().describe('What a recipient proves beyond the link. Absent only once just the history remains'),
  passcode: z.literal(true).optional().describe('Present when recipients also need the passcode you gave them'),
  replies: z.array(z.object({ id: z.string() })).optional().describe('Secure replies to this message (their message ids), oldest first'),
  label: z.string().optional().describe('The label you gave when sending: stored and shown in the clear (also in the recipient\'s inbox)'),
  attachments: attachmentSummarySchema.optional().describe('Absent for messages sent before this was kept'),
  inReplyTo: z.string().optional().describe('For a secure reply: the id of the message it answers'),
  replyFrom: z.enum(['recipient', 'tenant']).optional().describe('For a secure reply: "recipient" (a recipient answered you) or "tenant" (your organisation answered a recipient\'s reply)'),
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
  portalHostnames: z.array(z.string()).describe('Approved by the operator: these serve your branded pages'),
  pendingHostnames: z.array(z.string()).describe('Asked for in portalHostnames, waiting for the operator\'s approval: they serve nothing yet'),
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

/** Why a delivery failed: a class, never a message (core/webhooks/ports.ts WebhookFailure). */
const webhookFailureSchema = z.union([
  z.enum(['timeout', 'connection', 'dns', 'tls', 'blocked-address', 'insecure-url', 'invalid-url', 'unknown']),
  z.templateLiteral(['http-', z.number()]),
]).describe('"timeout", "connection", "dns", "tls", "blocked-address", "insecure-url", "invalid-url", "unknown" or "http-<status>"');

export const deliveryViewSchema = z.object({
  id: z.string().describe('"dlv_…", also sent as the Sealpost-Delivery header'),
  at: isoTime,
  eventId: z.string(),
  eventType: z.union([eventType, z.literal('ping')]),
  attempt: z.number().int(),
  status: z.enum(['delivered', 'failed', 'gave_up']),
  statusCode: z.number().int().optional(),
  error: webhookFailureSchema.optional(),
  durationMs: z.number(),
  nextAttemptAt: isoTime.optional(),
});

export const deliveryListSchema = z.object({ deliveries: z.array(deliveryViewSchema).describe('Newest first, kept 30 days') });

export const pingResultSchema = z.object({
  delivered: z.boolean(),
  statusCode: z.number().int().optional(),
  error: webhookFailureSchema.optional(),
});

export const healthSchema = z.object({ status: z.literal('ok') });

export const problemSchema = z.object({
  type: z.string().describe('urn:sealpost:problem:<kind>'),
  title: z.string(),
  status: z.number().int(),
  detail: z.string(),
  requestId: z.string().describe('Also the X-Request-Id header; quote it to support'),
  errors: z.array(z.object({ field: z.string().max(MAX_FIELD_CHARS), message: z.string().max(MAX_MESSAGE_CHARS) })).max(MAX_ISSUES).optional()
    .describe('Validation: the fields that break a rule, the first 20 at most (fewer if they are long); field and message are clipped to 100 and 300 characters'),
  moreErrors: z.number().int().min(1).optional().describe('Validation: how many more issues there were than errors lists; absent when it lists them all'),
  recipients: z.array(z.object({ email: z.string(), status: z.string(), reason: z.string() })).optional().describe('delivery-failed: each recipient and why'),
  attemptsLeft: z.number().int().optional().describe('code-wrong, passcode-wrong: wrong answers left before the recipient\'s pickup is locked'),
  retryAfter: z.number().int().optional().describe('locked, code-rate-limited, reply-rate-limited: seconds to wait (also the Retry-After header)'),
  sentTo: z.string().optional().describe('verification-required: the masked address the code was emailed to'),
  expiresAt: isoTime.optional().describe('verification-required: until when the emailed code works'),
});

export const replyResponseSchema = z.object({
  id: z.string().describe('The reply\'s message id: the reply is a new message of the same organisation, sent to the original\'s reply-to address'),
  expiresAt: isoTime,
});

export const signInAcceptedSchema = z.object({
  sent: z.literal(true).describe('Always true, whether or not the address has messages: a code is emailed only when it has'),
});

export const inboxItemSchema = z.object({
  id: z.string().describe('The message id'),
  sender: z.string().describe('The organisation\'s display name'),
  createdAt: isoTime,
  expiresAt: isoTime,
  read: z.boolean().describe('The recipient has opened it at least once'),
  replied: z.boolean().describe('The recipient has replied to it'),
  label: z.string().optional().describe('The sender\'s label for telling messages apart, stored in the clear; absent when the sender gave none'),
  attachments: attachmentSummarySchema.optional().describe('Absent for messages sent before this was kept'),
});

export const inboxListSchema = z.object({ messages: z.array(inboxItemSchema).describe('Newest first, at most 50; only active messages kept for the inbox') });

export const inboxOpenSchema = z.object({
  secret: z.string().describe('This recipient\'s link secret (43 base64url characters): the page opens /m/{id}#<secret> with it'),
  grant: z.string().optional().describe('A verification grant, so a message that needs an email code opens without another one'),
});

export const recoveryLinkSchema = z.object({
  url: z.string().describe('<portal origin>/m/<id>#recover:<recovery secret>: a bearer credential for the whole message, shown only in this response; opens once'),
  expiresAt: isoTime.describe('24 hours from now, or the message\'s expiry if sooner'),
});

// ---- compile-time checks: each schema's type equals its core type (modulo readonly) ----

type Writable<T> = T extends object ? { -readonly [K in keyof T]: Writable<T[K]> } : T;
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
export const openedUploadSchema = z.object({
  id: z.string().describe('The upload\'s id, which becomes the message\'s id'),
  expiresAt: isoTime.describe('When an unfinished upload is given up'),
  partBytes: z.number().int().describe('Every part but the last has exactly this size (4 MiB)'),
  maxBytes: z.number().int().describe('The largest sealed message this deployment accepts (SEALPOST_MAX_UPLOAD_MIB)'),
  link: z.string().describe('The pickup link without its fragment: a recipient\'s link is this, "#", and its secret'),
  mime: z.object({
    from: z.object({ email: z.string(), name: z.string().optional() }),
    replyTo: z.string().optional(),
    messageId: z.string().describe('The Message-ID header to seal with'),
  }).describe('The headers to seal the MIME with, so the message reads as one sealpost sealed itself'),
  custodyPassword: z.string().optional().describe('Message Center only: seal for this password too, and give it back at completion'),
});

export const partUploadsSchema = z.object({
  parts: z.array(z.object({
    index: z.number().int(),
    bytes: z.number().int().describe('The exact size this part must have'),
    url: z.string().describe('PUT the part here, with exactly these headers'),
    headers: z.record(z.string(), z.string()),
    expiresAt: isoTime,
  })),
});

export const partDownloadsSchema = z.object({
  parts: z.array(z.object({ url: z.string().describe('Same-origin; GET it within 15 minutes'), bytes: z.number().int() })),
});

/**
 * Mutual assignability alone lets a schema miss an optional field of the core type ({a} and
 * {a, b?} are assignable both ways), so the field names must also be equal, at every depth.
 */
type SameKeys<A, B> = [NonNullable<A>] extends [readonly (infer EA)[]]
  ? ([NonNullable<B>] extends [readonly (infer EB)[]] ? SameKeys<EA, EB> : false)
  : [NonNullable<A>] extends [object]
    ? (Same<keyof NonNullable<A>, keyof NonNullable<B>> extends true
      ? ({ [K in keyof NonNullable<A>]-?: K extends keyof NonNullable<B> ? SameKeys<NonNullable<A>[K], NonNullable<B>[K]> : false }[keyof NonNullable<A>] extends true ? true : false)
      : false)
    : true;
type Exact<A, B> = Same<A, B> extends true ? SameKeys<A, B> : false;
type Expect<T extends true> = T;
type Mirrors<Schema extends z.ZodType, Core> = Exact<z.output<Schema>, Writable<Core>>;

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
  Expect<Mirrors<typeof replyResponseSchema, ReplyResponse>>,
  Expect<Mirrors<typeof signInAcceptedSchema, Awaited<ReturnType<typeof requestSignIn>>>>,
  Expect<Mirrors<typeof inboxItemSchema, InboxItem>>,
  Expect<Mirrors<typeof inboxListSchema, { messages: InboxItem[] }>>,
  Expect<Mirrors<typeof inboxOpenSchema, Awaited<ReturnType<typeof openFromInbox>>>>,
  Expect<Mirrors<typeof recoveryLinkSchema, RecoveryLink>>,
  Expect<Mirrors<typeof openedUploadSchema, OpenedUpload>>,
  Expect<Mirrors<typeof partUploadsSchema, { parts: Awaited<ReturnType<typeof partUploads>> }>>,
  Expect<Mirrors<typeof partDownloadsSchema, { parts: PartDownload[] }>>,
];
