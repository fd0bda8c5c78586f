/**
 * The OpenAPI 3.1 description of the HTTP API, built in code from one operation table. Request
 * bodies and query parameters come from the same zod schemas the routes validate with
 * (z.toJSONSchema, input side, so defaults read as optional); response bodies from
 * response-schemas.ts, which tsc keeps equal to the core types. Refinements that JSON Schema cannot
 * express (e.g. "text or html") are said in the operation's description instead.
 * test/http/openapi.test.ts checks the table against the routes the app registers and against the
 * curl examples of the README and docs/, and its examples against the schemas.
 */
import * as z from 'zod';
// A named import (hence no import attribute): esbuild then bundles only this key of package.json.
import { version as packageVersion } from '../../package.json';
import { EVENT_TYPES } from '../core/audit/index.ts';
import { MAX_PAGE, changeMessageSchema, createKeySchema, parseEventQuery, parseMessageListQuery, settingsPatchSchema } from './admin-schemas.ts';
import { createWebhookRequestSchema, deliveriesQuerySchema } from './webhook-schemas.ts';
import { INBOX_COOKIE } from './routes/inbox.ts';
import { CODE_BODY, OPEN_BODY, SIGN_IN_BODY, VERIFY_BODY } from './portal-bodies.ts';
import { zodSchemaOf } from './zod-schema-of.ts';
import { replyRequestSchema } from './reply-schemas.ts';
import { sendRequestSchema } from './schemas.ts';
import { completeUploadSchema, openUploadSchema, partsSchema } from './upload-schemas.ts';
import * as R from './response-schemas.ts';
import { OPERATION_EXAMPLES, curlSample } from './openapi-examples.ts';

/** Who may call: an API key of a scope, the inbox's session cookie, or anyone. */
export type Scope = 'send' | 'admin' | 'session' | 'none';
export type HttpMethod = 'get' | 'post' | 'patch' | 'delete';

/** The routes that take no input still read a JSON body (a cross-site form cannot send one): any JSON will do. */
const emptyRequestSchema = z.object({}).describe('Any JSON value; send {}');

/** Every schema the document names, by component name: request bodies and JSON responses. */
export const COMPONENT_SCHEMAS = {
  SendRequest: sendRequestSchema,
  OpenUploadRequest: openUploadSchema,
  PartsRequest: partsSchema,
  CompleteUploadRequest: completeUploadSchema,
  OpenRequest: zodSchemaOf(OPEN_BODY),
  CodeRequest: zodSchemaOf(CODE_BODY),
  ReplyRequest: replyRequestSchema,
  SignInRequest: zodSchemaOf(SIGN_IN_BODY),
  VerifyRequest: zodSchemaOf(VERIFY_BODY),
  EmptyRequest: emptyRequestSchema,
  ChangeMessageRequest: changeMessageSchema,
  SettingsPatch: settingsPatchSchema,
  CreateKeyRequest: createKeySchema,
  CreateWebhookRequest: createWebhookRequestSchema,
  SendReceipt: R.sendReceiptSchema,
  OpenedUpload: R.openedUploadSchema,
  PartUploads: R.partUploadsSchema,
  PartDownloads: R.partDownloadsSchema,
  RecipientStatus: R.recipientStatusSchema,
  MessageSummary: R.messageSummarySchema,
  MessageStatus: R.messageStatusSchema,
  MessageList: R.messageListSchema,
  PublicEvent: R.publicEventSchema,
  EventFeedPage: R.eventFeedPageSchema,
  SettingsView: R.settingsViewSchema,
  SettingsUpdate: R.settingsUpdateSchema,
  CreatedKey: R.createdKeySchema,
  KeySummary: R.keySummarySchema,
  KeyList: R.keyListSchema,
  CreatedWebhook: R.createdWebhookSchema,
  WebhookView: R.webhookViewSchema,
  WebhookList: R.webhookListSchema,
  DeliveryView: R.deliveryViewSchema,
  DeliveryList: R.deliveryListSchema,
  PingResult: R.pingResultSchema,
  RecoveryLink: R.recoveryLinkSchema,
  ReplyReceipt: R.replyResponseSchema,
  SignInAccepted: R.signInAcceptedSchema,
  InboxItem: R.inboxItemSchema,
  InboxList: R.inboxListSchema,
  InboxOpened: R.inboxOpenSchema,
  Health: R.healthSchema,
  Problem: R.problemSchema,
} as const satisfies Record<string, z.ZodType>;
export type SchemaName = keyof typeof COMPONENT_SCHEMAS;

// The list queries are parsed by hand-written functions (admin-schemas.ts); these describe them,
// and `parse` names the real parser so the tests can hold the two together.
const messageListQuery = z.strictObject({
  cursor: z.string().optional().describe('The cursor of the previous page'),
  limit: z.int().min(1).max(MAX_PAGE).default(25).describe('Messages per page'),
});
const eventQuery = z.strictObject({
  since: z.string().optional().describe('Only events recorded at or after this ISO 8601 date or date-time (ignored with cursor)'),
  type: z.string().optional().describe(`Comma-separated event types (a repeated type parameter adds its types; each counts once): ${EVENT_TYPES.join(', ')}`),
  cursor: z.string().optional().describe('The cursor of the previous page; continues after it (before it, newest first)'),
  limit: z.int().min(1).max(MAX_PAGE).default(50).describe('Events per page'),
  order: z.enum(['oldest', 'newest']).default('oldest').describe('"oldest": the feed, in recording order, for polling. "newest": newest first, back to since, for reading (no polling)'),
});

export const TAGS = [
  { name: 'Messages', description: 'Send secure messages and follow, change or revoke them (send key).' },
  { name: 'Uploads', description: 'Sealed uploads: messages sealed on your machine (the sealpost CLI and SDK), up to 40 MiB by default; sealpost only ever holds their ciphertext (send key). See docs/protocol.md §21.' },
  { name: 'Events', description: 'The organisation\'s audit trail as a feed (send key).' },
  { name: 'Settings', description: 'The organisation\'s settings and branding (admin key).' },
  { name: 'Keys', description: 'API keys of the organisation (admin key).' },
  { name: 'Webhooks', description: 'Signed event deliveries to your endpoints (admin key); see docs/webhooks.md.' },
  { name: 'Recovery', description: 'Emergency recovery of Message Center messages (admin key).' },
  { name: 'Portal', description: 'What recipients\' browsers call: the pickup page, its ciphertext, email codes and secure replies. No API key.' },
  { name: 'Inbox', description: 'The recipient inbox of Message Center organisations: sign-in by an emailed code, then a session cookie. No API key.' },
  { name: 'Branding', description: 'Public brand assets of an organisation.' },
  { name: 'Service', description: 'Health, the admin console page and this reference.' },
] as const;
export type Tag = (typeof TAGS)[number]['name'];

export interface ResponseSpec {
  readonly description: string;
  /** A JSON body (application/json) named in COMPONENT_SCHEMAS, or another media type. */
  readonly json?: SchemaName;
  readonly media?: Readonly<Record<string, { schema?: Record<string, unknown> }>>;
  readonly headers?: Readonly<Record<string, string>>;
}

export interface OperationSpec {
  readonly method: HttpMethod;
  /** OpenAPI form: /v1/messages/{id}. */
  readonly path: string;
  readonly operationId: string;
  readonly tag: Tag;
  readonly summary: string;
  readonly description: string;
  readonly scope: Scope;
  readonly body?: { readonly schema: SchemaName; readonly contentTypes?: readonly string[] };
  readonly query?: { readonly schema: z.ZodObject; readonly parse: (query: Record<string, string>) => unknown };
  readonly headers?: Readonly<Record<string, string>>;
  readonly responses: Readonly<Record<number, ResponseSpec>>;
  /** Problem statuses beyond those every operation of its kind can answer (see problemStatuses). */
  readonly problems?: Readonly<Partial<Record<number, string>>>;
}

const JSON_OR_MERGE = ['application/json', 'application/merge-patch+json'] as const;
const html = { 'text/html': { schema: { type: 'string' } } };
const LOCATION = 'Where the new resource can be read';
const body204 = { 204: { description: 'Done; no body' } };

export const OPERATIONS: readonly OperationSpec[] = [
  { method: 'post', path: '/v1/messages', operationId: 'sendMessage', tag: 'Messages', scope: 'send', summary: 'Send a message',
    description: 'Builds the MIME message, seals it once for all recipients and emails each recipient a personal link. Give "text", "html" or both. Subject, bodies and decoded attachments may total 4 MiB. An attachment of type message/* or multipart/* (a forwarded email, say) is sealed as application/octet-stream under its file name, so the recipient can only download it. An address given twice (ignoring case) gets one notification. With Idempotency-Key, a retry with the byte-identical body within 24 hours returns the first response and sends nothing again. "verification" overrides the organisation\'s setting for this message ("email-code": recipients must also enter a 6-digit code emailed when they open it). "passcode" is mixed into every recipient\'s key and never stored: tell recipients by another channel (phone, SMS). When the organisation has Message Center on, the recipients\' keys are also kept, wrapped by KMS, for their inbox and for emergency recovery. "label" (optional) is the one field stored in the clear: the recipient\'s inbox lists it so messages can be told apart, so keep it free of anything confidential.',
    body: { schema: 'SendRequest' }, headers: { 'Idempotency-Key': 'Optional, 1–255 visible ASCII characters, scoped to your organisation' },
    responses: { 201: { description: 'Sent; each recipient\'s outcome is listed (a recipient SES refused is "failed", the answer still 201)', json: 'SendReceipt', headers: { Location: LOCATION } } },
    problems: { 409: 'A request with this Idempotency-Key is still being processed', 413: 'The body is over 5,998,976 bytes, its JSON holds more than 10,000 values, or the decoded content is over 4 MiB', 422: 'A field breaks a rule (errors lists them), the Idempotency-Key is malformed, or (idempotency-mismatch) the key was used with a different body', 502: 'No notification was confirmed, so the message was discarded; recipients lists why. Safe to send again' } },
  { method: 'get', path: '/v1/messages', operationId: 'listMessages', tag: 'Messages', scope: 'send', summary: 'List messages',
    description: 'Your organisation\'s messages, newest first, a page at a time, with each recipient\'s status and opens.',
    query: { schema: messageListQuery, parse: parseMessageListQuery }, responses: { 200: { description: 'One page', json: 'MessageList' } }, problems: { 422: 'limit out of range, or a cursor this API did not issue' } },
  { method: 'get', path: '/v1/messages/{id}', operationId: 'getMessage', tag: 'Messages', scope: 'send', summary: 'Status and history of a message',
    description: 'State, recipients and the audit history. Holds no content. Available until 30 days after expiry; after that the status is rebuilt from the audit events, which are kept for six years.',
    responses: { 200: { description: 'The message', json: 'MessageStatus' } }, problems: { 404: 'No such message for your organisation (another organisation\'s looks the same)' } },
  { method: 'patch', path: '/v1/messages/{id}', operationId: 'changeMessageExpiry', tag: 'Messages', scope: 'send', summary: 'Change a message\'s expiry',
    description: 'Give exactly one of "expiresAt" or "expiresInDays" (from now). The new expiry must be at least 10 minutes away and at most the organisation\'s maxExpiryDays after the message was created. To end a message now, revoke it.',
    body: { schema: 'ChangeMessageRequest', contentTypes: JSON_OR_MERGE }, responses: { 200: { description: 'The message with its new expiry', json: 'MessageStatus' } },
    problems: { 404: 'No such message for your organisation', 409: 'The message is expired or revoked, or changed at the same time' } },
  { method: 'delete', path: '/v1/messages/{id}', operationId: 'revokeMessage', tag: 'Messages', scope: 'send', summary: 'Revoke a message',
    description: 'Marks the message revoked and deletes its ciphertext; every link answers "not available" from then on. Repeating it also answers 204.',
    responses: body204, problems: { 404: 'No such message for your organisation' } },
  { method: 'post', path: '/v1/uploads', operationId: 'openUpload', tag: 'Uploads', scope: 'send', summary: 'Open a sealed upload',
    description: 'Starts a message you seal yourself: say how many recipients it is sealed for. The answer gives its id, the part size, the most bytes this deployment accepts, the headers to seal the MIME with and (Message Center) a custody password to seal for as well. The upload must be completed within 12 hours. The sealpost SDK and CLI do all of this for you.',
    body: { schema: 'OpenUploadRequest' }, responses: { 201: { description: 'Opened', json: 'OpenedUpload', headers: { Location: LOCATION, 'Cache-Control': 'no-store' } } },
    problems: { 503: 'Storage or key management failed; nothing was stored' } },
  { method: 'post', path: '/v1/uploads/{id}/parts', operationId: 'getPartUploadUrls', tag: 'Uploads', scope: 'send', summary: 'URLs to upload parts',
    description: 'Declare the sealed message (its size in bytes and its checksum: the SHA-256, base64, of the concatenated binary SHA-256 digests of its parts) and ask for the parts you want to put, each with its own SHA-256 (base64). The first request fixes the declaration; every later one repeats it. Every part but the last has exactly partBytes; each URL accepts exactly its part, with the headers given, for an hour. Ask again for fresh URLs (retries, any order, at most 100 parts per request).',
    body: { schema: 'PartsRequest' }, responses: { 200: { description: 'The URLs', json: 'PartUploads', headers: { 'Cache-Control': 'no-store' } } },
    problems: { 404: 'No open upload of yours with this id (or it expired)', 409: 'The upload was declared otherwise, or is being completed or was completed', 413: 'The declared size is over maxBytes' } },
  { method: 'post', path: '/v1/uploads/{id}/complete', operationId: 'completeUpload', tag: 'Uploads', scope: 'send', summary: 'Check and send a sealed upload',
    description: 'Names the recipients in order, each with its secret (sealpost emails it the link, after the # of the link, and keeps only hashes; with a passcode also the key the message is sealed for) or with only its token hashes (you deliver the link yourself; not for Message Center). sealpost reads every part once and refuses (422, changing nothing) a message whose checksum, shape (RFC 9580: one SKESK v6 per recipient, plus the custody key for Message Center, then one SEIPD v2) or secrets do not fit; then it commits and notifies exactly as POST /v1/messages does. With Idempotency-Key, a retry returns the first receipt.',
    body: { schema: 'CompleteUploadRequest' }, headers: { 'Idempotency-Key': 'Optional, 1–255 visible ASCII characters, scoped to your organisation' },
    responses: { 201: { description: 'Sent; each recipient\'s outcome ("sender" for a link you deliver)', json: 'SendReceipt', headers: { Location: LOCATION } } },
    problems: { 404: 'No open upload of yours with this id (or it expired)', 409: 'Being completed by another request, already completed, or the Idempotency-Key is in use', 422: 'A field breaks a rule, or the uploaded message does not fit (errors says how); nothing was stored or sent', 502: 'No notification was confirmed, so the message was discarded' } },
  { method: 'delete', path: '/v1/uploads/{id}', operationId: 'abandonUpload', tag: 'Uploads', scope: 'send', summary: 'Abandon an upload',
    description: 'An open upload can no longer be completed, and its parts are deleted.',
    responses: body204, problems: { 404: 'No open upload of yours with this id', 409: 'Completed or abandoned meanwhile' } },
  { method: 'get', path: '/v1/events', operationId: 'listEvents', tag: 'Events', scope: 'send', summary: 'The audit trail as a feed',
    description: 'Every event of your organisation (messages, settings, keys, webhooks) in the order it was recorded, newest last. Follow cursor until hasMore is false; keep the last cursor to poll for new events later. A cursor never points past the last 10 seconds, so a poll may return a recent event again (deduplicate by id) but never skips one. With order=newest the pages go the other way, from the newest event back to since: for reading the trail, not for polling.',
    query: { schema: eventQuery, parse: parseEventQuery }, responses: { 200: { description: 'One page', json: 'EventFeedPage' } }, problems: { 422: 'An unknown type, a malformed since or cursor, or limit out of range' } },
  { method: 'get', path: '/v1/admin/settings', operationId: 'getSettings', tag: 'Settings', scope: 'admin', summary: 'Read the settings',
    description: 'The organisation\'s settings. The ETag is the revision; send it back as If-Match when you change them.',
    responses: { 200: { description: 'The settings', json: 'SettingsView', headers: { ETag: 'The revision, e.g. "7"' } } } },
  { method: 'patch', path: '/v1/admin/settings', operationId: 'updateSettings', tag: 'Settings', scope: 'admin', summary: 'Change the settings',
    description: 'A JSON merge patch (RFC 7396): only the fields that change; null clears replyTo, brand.primaryColor or brand.logo. brand.primaryColor is #rrggbb with a contrast of at least 4.5:1 against white text. brand.logo is a base64 PNG or SVG of at most 100 KB (an SVG with script, event handlers or external references is refused). portalHostnames lists every hostname you want for your branded portal (a DNS name you control; never an IP address): approved ones stay, new ones wait in pendingHostnames until the operator of this deployment approves them (they set up the name and its certificate), names left out are released; each belongs to one organisation. messageCenter (keep new messages\' keys, wrapped by KMS, for the recipient inbox and emergency recovery) and verification (the default for new messages: "none" or "email-code") apply to messages sent after the change; notices says in plain words what a change means.',
    body: { schema: 'SettingsPatch', contentTypes: JSON_OR_MERGE }, headers: { 'If-Match': 'Optional: the revision you read (the ETag); a stale one gets 409' },
    responses: { 200: { description: 'The settings after the change', json: 'SettingsUpdate', headers: { ETag: 'The new revision' } } },
    problems: { 409: 'If-Match is stale, a hostname serves another organisation, or a concurrent change won' } },
  { method: 'post', path: '/v1/admin/keys', operationId: 'createKey', tag: 'Keys', scope: 'admin', summary: 'Create an API key',
    description: 'A new key sp_<id>_<secret>, shown once in this response and stored only as its hash. The id is visible and names the key in lists and the audit trail. An admin key can also send.',
    body: { schema: 'CreateKeyRequest' }, responses: { 201: { description: 'The new key', json: 'CreatedKey', headers: { Location: LOCATION } } } },
  { method: 'get', path: '/v1/admin/keys', operationId: 'listKeys', tag: 'Keys', scope: 'admin', summary: 'List API keys',
    description: 'Every key of the organisation, revoked ones included; never the key itself.', responses: { 200: { description: 'The keys', json: 'KeyList' } } },
  { method: 'delete', path: '/v1/admin/keys/{id}', operationId: 'revokeKey', tag: 'Keys', scope: 'admin', summary: 'Revoke an API key',
    description: 'The key answers 401 from the next request on. Revoking a revoked key also answers 204.', responses: body204, problems: { 404: 'No such key for your organisation' } },
  { method: 'post', path: '/v1/admin/webhooks', operationId: 'createWebhook', tag: 'Webhooks', scope: 'admin', summary: 'Register a webhook endpoint',
    description: 'An https URL on a public address and the event types to deliver (distinct, or ["*"] alone). The signing secret is in this response only; sealpost keeps it only wrapped by KMS. At most 10 endpoints per organisation.',
    body: { schema: 'CreateWebhookRequest' }, responses: { 201: { description: 'Registered', json: 'CreatedWebhook', headers: { Location: LOCATION, 'Cache-Control': 'no-store' } } },
    problems: { 409: 'The organisation already has 10 endpoints' } },
  { method: 'get', path: '/v1/admin/webhooks', operationId: 'listWebhooks', tag: 'Webhooks', scope: 'admin', summary: 'List webhook endpoints',
    description: 'Your endpoints and their delivery health; never a secret.', responses: { 200: { description: 'The endpoints', json: 'WebhookList' } } },
  { method: 'get', path: '/v1/admin/webhooks/{id}', operationId: 'getWebhook', tag: 'Webhooks', scope: 'admin', summary: 'One webhook endpoint',
    description: 'The endpoint and its delivery health.', responses: { 200: { description: 'The endpoint', json: 'WebhookView' } }, problems: { 404: 'No such endpoint for your organisation' } },
  { method: 'delete', path: '/v1/admin/webhooks/{id}', operationId: 'deleteWebhook', tag: 'Webhooks', scope: 'admin', summary: 'Delete a webhook endpoint',
    description: 'Deliveries stop at once.', responses: body204, problems: { 404: 'No such endpoint for your organisation' } },
  { method: 'get', path: '/v1/admin/webhooks/{id}/deliveries', operationId: 'listWebhookDeliveries', tag: 'Webhooks', scope: 'admin', summary: 'Delivery records of an endpoint',
    description: 'Attempts to deliver events (and pings), newest first, kept 30 days.',
    query: { schema: deliveriesQuerySchema, parse: (q) => deliveriesQuerySchema.parse(q) }, responses: { 200: { description: 'The records', json: 'DeliveryList' } },
    problems: { 404: 'No such endpoint for your organisation', 422: 'limit is not 1–100' } },
  { method: 'post', path: '/v1/admin/webhooks/{id}/ping', operationId: 'pingWebhook', tag: 'Webhooks', scope: 'admin', summary: 'Send a signed test delivery',
    description: 'Sends a signed "ping" now, outside the event feed and its retries, and records it as a delivery.',
    responses: { 200: { description: 'What the endpoint answered', json: 'PingResult' } }, problems: { 404: 'No such endpoint for your organisation' } },
  { method: 'post', path: '/v1/admin/messages/{id}/recover', operationId: 'recoverMessage', tag: 'Recovery', scope: 'admin', summary: 'Issue a one-time recovery link',
    description: 'For a message sent with Message Center on: unwraps a recipient\'s key (KMS) and wraps it again under the secret of a new link, which is in this response only. The link opens the message in the portal once, within 24 hours (or until the message expires); it needs no email code, but a message with a passcode still needs the passcode. Issuing it and opening it are "recovered" events in the audit trail (and so in webhooks). At most 5 links per message. Takes no body.',
    responses: { 201: { description: 'The link: a bearer credential for the whole message; hand it over like the message itself', json: 'RecoveryLink', headers: { 'Cache-Control': 'no-store' } } },
    problems: { 404: 'not-found: no such message for your organisation', 409: 'conflict: sent in standard mode (its key was never kept, so nobody can recover it), expired or revoked, or already 5 recovery links' } },
  { method: 'get', path: '/m/{id}', operationId: 'getPickupPage', tag: 'Portal', scope: 'none', summary: 'The pickup page',
    description: 'The static page that opens a message in the browser, with at most the sending organisation\'s brand. It reads and changes nothing; the secret stays in the link\'s fragment.',
    responses: { 200: { description: 'The page', media: html } } },
  { method: 'post', path: '/m/{id}/open', operationId: 'openMessage', tag: 'Portal', scope: 'none', summary: 'Download the ciphertext',
    description: 'With the link token and the access token derived from the link\'s secret (and the passcode, if the message has one), returns part "part" (default 0) of the binary OpenPGP message; Sealpost-Parts says how many there are. A message sealed on the sender\'s machine (a sealed upload) answers part 0 with JSON instead: a same-origin URL and the size of each of its parts, to GET within 15 minutes. Only part 0 counts as a view. A message that needs an email code answers 403 verification-required and emails a code; send it as "code" (a right code answers with Sealpost-Grant, which later parts need as "grant"). Wrong codes and passcodes are counted: 5 lock the recipient\'s pickup for 15 minutes. Every other failure — unknown id, expired, revoked, wrong token, no such part, views used up — gives the same 404. A recovery link opens the same way, with its link token as "link". See docs/protocol.md §5.',
    body: { schema: 'OpenRequest' },
    responses: { 200: { description: 'One part of the ciphertext (at most 3,000,000 bytes), or for a sealed upload where to download its parts', media: { 'application/octet-stream': {}, 'application/json': { schema: { $ref: '#/components/schemas/PartDownloads' } } }, headers: { 'Sealpost-Parts': 'How many parts the ciphertext has', 'Sealpost-Grant': 'After a right code: the grant for later parts and a reply (valid 10 minutes)', 'Sealpost-Wrapped-Secret': 'Only for a recovery link: the recipient\'s secret wrapped under the link\'s own secret (docs/protocol.md)' } } },
    problems: {
      403: 'verification-required (a code was emailed: sentTo, expiresAt), code-wrong or passcode-wrong (attemptsLeft)',
      404: 'message-unavailable: one answer for every other failure',
      429: 'locked or code-rate-limited (retryAfter seconds, also in Retry-After)',
      503: 'Storage or email failed',
    } },
  { method: 'post', path: '/m/{id}/code', operationId: 'sendCode', tag: 'Portal', scope: 'none', summary: 'Email a new verification code',
    description: 'The same identification and checks as an open; sends a new code within the limits (30 seconds apart, 5 an hour) and answers 403 verification-required as an open without a code does.',
    body: { schema: 'CodeRequest' },
    responses: {},
    problems: {
      403: 'verification-required: a new code was emailed (sentTo, expiresAt); passcode-wrong (attemptsLeft)',
      404: 'message-unavailable', 409: 'conflict: the message needs no code',
      429: 'locked or code-rate-limited (retryAfter seconds, also in Retry-After)', 503: 'Storage or email failed',
    } },
  { method: 'post', path: '/m/{id}/reply', operationId: 'replyToMessage', tag: 'Portal', scope: 'none', summary: 'Reply securely',
    description: 'A recipient who can open the message answers it: the same credentials as an open ("token", and "link", "code" or "grant" as the message needs; a reply counts no view), plus a subject, text and up to 10 attachments (4 MiB decoded in all; text or an attachment is required; no message/* or multipart/* type: send a saved email as application/octet-stream). The reply is a new message of the same organisation, sealed by the sender API\'s pipeline and delivered as a secure link to the original\'s reply-to address (else the organisation\'s reply-to or sender address), threaded to the original ("replies" in its status, a "replied" event). Text only. At most 5 replies per recipient per message an hour.',
    body: { schema: 'ReplyRequest' },
    responses: { 201: { description: 'Sent', json: 'ReplyReceipt', headers: { 'Cache-Control': 'no-store', 'Sealpost-Grant': 'When the reply came with an email code (now used up): a grant to act again without a new code' } } },
    problems: {
      403: 'verification-required (a code was emailed), code-wrong or passcode-wrong (attemptsLeft), as for an open',
      404: 'message-unavailable: the message cannot be opened with these credentials',
      413: 'The body is over 5,998,976 bytes, its JSON holds more than 10,000 values, or the decoded reply is over 4 MiB',
      429: 'locked or code-rate-limited as for an open, or reply-rate-limited (retryAfter seconds, also in Retry-After)',
      503: 'Storage, key management or email failed; the reply was not sent',
    } },
  { method: 'get', path: '/inbox', operationId: 'getInboxPage', tag: 'Inbox', scope: 'none', summary: 'The inbox page',
    description: 'The static inbox page, branded by the organisation of the hostname if it has one (else neutral). Its script signs in and lists messages through /inbox/api/{tenantId}/*.',
    responses: { 200: { description: 'The page (no-store)', media: html } }, problems: { 404: 'The inbox is not part of this deployment' } },
  { method: 'get', path: '/inbox/{tenantId}', operationId: 'getTenantInboxPage', tag: 'Inbox', scope: 'none', summary: 'An organisation\'s inbox page',
    description: 'The inbox page for one organisation, in its brand (a hostname of an organisation wins over the path). An unknown organisation gets the neutral page.',
    responses: { 200: { description: 'The page (no-store)', media: html } }, problems: { 404: 'The inbox is not part of this deployment' } },
  { method: 'post', path: '/inbox/api/{tenantId}/sign-in', operationId: 'requestInboxCode', tag: 'Inbox', scope: 'none', summary: 'Email a sign-in code',
    description: 'Always answers 202 {"sent": true}: a 6-digit code (valid 10 minutes, single use) is emailed only when the address has a message kept for the inbox by this organisation and the limits allow (30 seconds apart, 5 an hour), so the answer tells nobody whether an address has messages. Every POST under /inbox/api must carry an Origin equal to the page\'s own.',
    body: { schema: 'SignInRequest' }, responses: { 202: { description: 'Accepted', json: 'SignInAccepted' } },
    problems: { 403: 'forbidden: the Origin is not the inbox page\'s', 404: 'not-found: not an organisation id' } },
  { method: 'post', path: '/inbox/api/{tenantId}/verify', operationId: 'verifyInboxCode', tag: 'Inbox', scope: 'none', summary: 'Sign in with the code',
    description: `A right code starts a session: 204 with Set-Cookie ${INBOX_COOKIE}=<token>; HttpOnly; Secure; SameSite=Strict; Path=/. The session ends 12 hours after sign-in, or after 30 minutes without use. Five wrong codes in 15 minutes lock signing in with the address for 15 minutes.`,
    body: { schema: 'VerifyRequest' }, responses: { 204: { description: 'Signed in', headers: { 'Set-Cookie': 'The session cookie' } } },
    problems: { 401: 'unauthorized: the code is wrong, expired or used (the same for an address without messages)', 403: 'forbidden: the Origin is not the inbox page\'s', 404: 'not-found: not an organisation id', 429: 'locked (retryAfter seconds, also in Retry-After)' } },
  { method: 'get', path: '/inbox/api/{tenantId}/messages', operationId: 'listInboxMessages', tag: 'Inbox', scope: 'session', summary: 'The signed-in recipient\'s messages',
    description: 'The address\'s active messages from this organisation that were kept for the inbox, newest first. Reading the list does not extend the session.',
    responses: { 200: { description: 'The messages', json: 'InboxList' } }, problems: { 404: 'not-found: not an organisation id' } },
  { method: 'post', path: '/inbox/api/{tenantId}/messages/{id}/open', operationId: 'openInboxMessage', tag: 'Inbox', scope: 'session', summary: 'Open a message from the inbox',
    description: 'Unwraps this recipient\'s own key (KMS; an "unwrapped" audit event) and returns it with a verification grant; the page then opens /m/{id} as if the link had been followed (a passcode, if any, is still needed). Extends the session.',
    body: { schema: 'EmptyRequest' }, responses: { 200: { description: 'The key (no-store)', json: 'InboxOpened', headers: { 'Cache-Control': 'no-store' } } },
    problems: { 403: 'forbidden: the Origin is not the inbox page\'s', 404: 'message-unavailable: not this recipient\'s, not kept for the inbox, expired or revoked (one answer)' } },
  { method: 'post', path: '/inbox/api/{tenantId}/sign-out', operationId: 'signOutOfInbox', tag: 'Inbox', scope: 'none', summary: 'Sign out',
    description: 'Ends the session (if the cookie names one) and clears the cookie.',
    body: { schema: 'EmptyRequest' }, responses: { 204: { description: 'Signed out', headers: { 'Set-Cookie': 'The cleared cookie' } } },
    problems: { 403: 'forbidden: the Origin is not the inbox page\'s', 404: 'not-found: not an organisation id' } },
  { method: 'get', path: '/assets/{name}', operationId: 'getAsset', tag: 'Portal', scope: 'none', summary: 'A script or stylesheet of the web pages',
    description: 'Cacheable for 5 minutes. In AWS, CloudFront serves /assets/* from S3.',
    responses: { 200: { description: 'The asset', media: { 'text/javascript': {}, 'text/css': {} } } }, problems: { 404: 'No such asset' } },
  { method: 'get', path: '/brand/{tenantId}/logo/{digest}', operationId: 'getBrandLogo', tag: 'Branding', scope: 'none', summary: 'An organisation\'s logo',
    description: 'The current logo, addressed by the SHA-256 digest of its bytes (immutable). An SVG opened directly runs under a sandboxing Content-Security-Policy.',
    responses: { 200: { description: 'The logo', media: { 'image/png': {}, 'image/svg+xml': {} } } }, problems: { 404: 'No such organisation or logo', 503: 'Storage failed' } },
  { method: 'get', path: '/brand/{tenantId}/theme.css', operationId: 'getBrandTheme', tag: 'Branding', scope: 'none', summary: 'An organisation\'s theme stylesheet',
    description: 'CSS custom properties carrying the primary colour; ?v=<revision> makes it cacheable for good.',
    responses: { 200: { description: 'The stylesheet', media: { 'text/css': { schema: { type: 'string' } } } } }, problems: { 404: 'No such organisation or no primary colour', 503: 'Storage failed' } },
  { method: 'get', path: '/admin', operationId: 'getAdminConsole', tag: 'Service', scope: 'none', summary: 'The admin console',
    description: 'A static page; its script asks for an admin key and calls /v1/admin/* with it.', responses: { 200: { description: 'The page', media: html } }, problems: { 404: 'The console is not part of this deployment' } },
  { method: 'get', path: '/healthz', operationId: 'getHealth', tag: 'Service', scope: 'none', summary: 'Liveness', description: 'Always {"status":"ok"} while the function runs.',
    responses: { 200: { description: 'Up', json: 'Health' } } },
  { method: 'get', path: '/v1/openapi.json', operationId: 'getOpenApiDocument', tag: 'Service', scope: 'none', summary: 'This document', description: 'The OpenAPI 3.1 description of the API.',
    responses: { 200: { description: 'The document', media: { 'application/json': { schema: { type: 'object' } } } } } },
  { method: 'get', path: '/v1/docs', operationId: 'getApiReference', tag: 'Service', scope: 'none', summary: 'The API reference page', description: 'This document as a readable page, with an example of every operation.',
    responses: { 200: { description: 'The page', media: html } } },
  { method: 'get', path: '/v1/docs.css', operationId: 'getApiReferenceStylesheet', tag: 'Service', scope: 'none', summary: 'The reference page\'s stylesheet', description: 'Cacheable for 5 minutes.',
    responses: { 200: { description: 'The stylesheet', media: { 'text/css': { schema: { type: 'string' } } } } } },
  { method: 'get', path: '/v1/docs.js', operationId: 'getApiReferenceScript', tag: 'Service', scope: 'none', summary: 'The reference page\'s script',
    description: 'Copy buttons and the operation filter; the page reads the same without it. Cacheable for 5 minutes.',
    responses: { 200: { description: 'The script', media: { 'text/javascript': { schema: { type: 'string' } } } } } },
  { method: 'get', path: '/favicon.ico', operationId: 'getFavicon', tag: 'Service', scope: 'none', summary: 'The site icon', description: 'The sealpost lock, for browser tabs. Cacheable for a day.',
    responses: { 200: { description: 'The icon', media: { 'image/x-icon': {} } } } },
];

const PROBLEMS: Readonly<Record<number, string>> = {
  400: 'malformed: the body is not valid JSON, or nests deeper than 32 levels',
  401: 'unauthorized: the API key is missing, unknown or revoked, or its organisation is disabled (one answer for all, with WWW-Authenticate)',
  403: 'forbidden: the key works but lacks the admin scope',
  404: 'not-found',
  409: 'conflict',
  413: 'payload-too-large: the body is over 5,998,976 bytes, or its JSON holds more than 10,000 values (array items and object members)',
  415: 'unsupported-media-type: the body is not sent as JSON',
  422: 'validation: a field breaks a rule; errors lists the first 20, moreErrors counts the rest',
  500: 'internal: unexpected; the body is generic and the cause is logged under the request id',
  502: 'delivery-failed',
  503: 'dependency: storage or key management failed; detail says what happened to the request',
};

const SESSION_ENDED = 'unauthorized: no session cookie, or the session has ended (signed out, 12 hours since sign-in or 30 minutes unused)';

/** Every problem status the operation can answer, with what it means there. */
export function problemStatuses(op: OperationSpec): Map<number, string> {
  const statuses = new Map<number, string>();
  if (op.body) for (const s of [400, 413, 415, 422]) statuses.set(s, PROBLEMS[s] as string);
  if (op.scope === 'session') statuses.set(401, SESSION_ENDED).set(503, PROBLEMS[503] as string);
  else if (op.scope !== 'none') statuses.set(401, PROBLEMS[401] as string).set(503, PROBLEMS[503] as string);
  if (op.scope === 'admin') statuses.set(403, PROBLEMS[403] as string);
  for (const [s, text] of Object.entries(op.problems ?? {})) statuses.set(Number(s), text ?? PROBLEMS[Number(s)] ?? '');
  statuses.set(500, PROBLEMS[500] as string);
  return new Map([...statuses].sort(([a], [b]) => a - b));
}

type Json = Record<string, unknown>;
const ref = (name: SchemaName) => ({ $ref: `#/components/schemas/${name}` });
const stringHeaders = (headers: Readonly<Record<string, string>>) =>
  Object.fromEntries(Object.entries(headers).map(([name, description]) => [name, { description, schema: { type: 'string' } }]));

/** zod marks every integer with the safe-integer range; as a documented constraint it is noise. */
function withoutSafeIntegerBounds<T>(value: T): T {
  if (Array.isArray(value)) return value.map(withoutSafeIntegerBounds) as T;
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(Object.entries(value)
    .filter(([key, v]) => !((key === 'minimum' || key === 'maximum') && Math.abs(v as number) === Number.MAX_SAFE_INTEGER))
    .map(([key, v]) => [key, withoutSafeIntegerBounds(v)])) as T;
}

function toJsonSchema(schema: z.ZodType): Json {
  const { $schema: _s, ...rest } = z.toJSONSchema(schema, { target: 'draft-2020-12', io: 'input' }) as Json;
  return withoutSafeIntegerBounds(rest);
}

function parametersOf(op: OperationSpec): Json[] {
  const params: Json[] = [...op.path.matchAll(/\{(\w+)\}/g)].map(([, name]) => ({ name, in: 'path', required: true, schema: { type: 'string' } }));
  if (op.query) {
    const query = toJsonSchema(op.query.schema) as { properties?: Record<string, Json>; required?: string[] };
    for (const [name, schema] of Object.entries(query.properties ?? {})) {
      const { description, ...rest } = schema;
      params.push({ name, in: 'query', required: query.required?.includes(name) ?? false, ...(description ? { description } : {}), schema: rest });
    }
  }
  for (const [name, description] of Object.entries(op.headers ?? {})) params.push({ name, in: 'header', required: false, description, schema: { type: 'string' } });
  return params;
}

/** The origin in the document's curl samples: readers set SEALPOST to their deployment's. */
export const SAMPLE_ORIGIN = '$SEALPOST';

function operationObject(op: OperationSpec): Json {
  const example = OPERATION_EXAMPLES[op.operationId];
  const responses: Record<string, Json> = {};
  for (const [status, r] of Object.entries(op.responses)) {
    const content = r.json ? { 'application/json': { schema: ref(r.json) } } : r.media;
    responses[status] = { description: r.description, ...(r.headers ? { headers: stringHeaders(r.headers) } : {}), ...(content ? { content } : {}) };
  }
  for (const [status, description] of problemStatuses(op)) {
    responses[String(status)] = {
      description, content: { 'application/problem+json': { schema: ref('Problem') } },
      ...(status === 401 ? { headers: stringHeaders({ 'WWW-Authenticate': 'Bearer realm="sealpost"' }) } : {}),
    };
  }
  // The example answer, on the media type of its status (JSON, problem+json, or the page's own).
  const answered = example ? responses[String(example.response.status)] as { content?: Record<string, Json> } | undefined : undefined;
  const [answerType] = Object.keys(answered?.content ?? {});
  if (example?.response.body !== undefined && answered?.content && answerType) {
    answered.content[answerType] = { ...answered.content[answerType], example: example.response.body };
  }
  const parameters = parametersOf(op).map((p) => {
    const value = example?.[p.in === 'path' ? 'path' : p.in === 'query' ? 'query' : 'headers']?.[p.name as string];
    return value === undefined ? p : { ...p, example: value };
  });
  return {
    operationId: op.operationId, tags: [op.tag], summary: op.summary, description: op.description,
    security: op.scope === 'none' ? [] : op.scope === 'session' ? [{ inboxSession: [] }] : [{ apiKey: [op.scope] }],
    ...(op.scope === 'none' ? {} : { 'x-sealpost-scope': op.scope }),
    ...(parameters.length > 0 ? { parameters } : {}),
    ...(op.body ? { requestBody: { required: true, content: Object.fromEntries((op.body.contentTypes ?? ['application/json']).map((t) => [t, { schema: ref(op.body!.schema), ...(example?.body !== undefined ? { example: example.body } : {}) }])) } } : {}),
    responses,
    ...(example ? { 'x-sealpost-example-status': example.response.status, 'x-codeSamples': [{ lang: 'Shell', label: 'curl', source: curlSample(op, example, SAMPLE_ORIGIN) }] } : {}),
  };
}

const API_DESCRIPTION = [
  'sealpost delivers secure messages: the sender API seals each message with OpenPGP and emails every recipient a link whose secret never reaches the server.',
  'Authenticate with an API key of your organisation as "Authorization: Bearer sp_<id>_<secret>". A send key may send and manage messages and read the events feed; an admin key may do that and everything under /v1/admin.',
  'Recipients\' browsers call the Portal and Inbox operations without an API key: the link\'s secret (in its fragment, never sent) yields the tokens they present, and the inbox signs in by a code emailed to the address. docs/protocol.md describes both exactly.',
  'Every error is an RFC 9457 problem document (application/problem+json) with type urn:sealpost:problem:<kind>, title, status, detail and requestId. A validation problem lists at most 20 issues in errors (moreErrors says how many more there were), and no problem body but a delivery-failed one (which lists each recipient) is larger than 16 KB. Every response carries X-Request-Id. A known address asked with a method it does not support answers 405 with an Allow header (under /v1 after the key is checked).',
].join('\n\n');

/** Builds the document (once per process; see openApiDocument). */
export function buildOpenApiDocument(): Json {
  const registry = z.registry<{ id: string }>();
  for (const [id, schema] of Object.entries(COMPONENT_SCHEMAS)) registry.add(schema, { id });
  const generated = z.toJSONSchema(registry, { target: 'draft-2020-12', io: 'input', uri: (id) => `#/components/schemas/${id}` });
  // Each component comes with $schema and an $id equal to its own reference; inside an OpenAPI
  // document both are noise, and a fragment-only $id is not a valid base URI in 2020-12.
  const schemas = Object.fromEntries(Object.entries(generated.schemas).map(([id, s]) => {
    const { $schema: _s, $id: _i, ...rest } = s as Json;
    return [id, withoutSafeIntegerBounds(rest)];
  }));
  const paths: Record<string, Record<string, Json>> = {};
  for (const op of OPERATIONS) (paths[op.path] ??= {})[op.method] = operationObject(op);
  return {
    openapi: '3.1.1',
    info: { title: 'sealpost API', version: packageVersion, description: API_DESCRIPTION },
    servers: [{ url: '/' }],
    tags: TAGS,
    paths,
    components: {
      schemas,
      securitySchemes: {
        apiKey: {
          type: 'http', scheme: 'bearer', bearerFormat: 'sp_<id>_<secret>',
          description: 'An API key of your organisation. Its scope ("send" or "admin", listed in each operation\'s security requirement and x-sealpost-scope) decides what it may call; an admin key may also do what a send key may.',
        },
        inboxSession: {
          type: 'apiKey', in: 'cookie', name: INBOX_COOKIE,
          description: 'The recipient inbox\'s session, set by POST /inbox/api/{tenantId}/verify (__Host- prefixed: HttpOnly, Secure, SameSite=Strict, Path=/). Valid for the organisation it was made for.',
        },
      },
    },
  };
}

let cached: Json | undefined;
/** The document, built on first use. */
export function openApiDocument(): Json {
  cached ??= buildOpenApiDocument();
  return cached;
}
