/**
 * An example for every operation of the OpenAPI document: the request (path parameters, query,
 * headers, body) and a response, written as the API really answers (test/http/openapi.test.ts
 * parses each against its schema). The document carries them as OpenAPI examples and as a curl
 * sample (x-codeSamples), which the reference page at /v1/docs shows beside each operation.
 *
 * In the curl samples, shell variables stand for what a reader has to fill in: $KEY (a send key),
 * $ADMIN_KEY, and the ids an earlier answer gave ($ID, $HOOK, …), as in the README and docs/api.md.
 */
/** What a curl sample needs of an operation (openapi.ts's OperationSpec has it). */
export interface SampleOperation {
  readonly method: 'get' | 'post' | 'patch' | 'delete';
  readonly path: string;
  readonly scope: 'send' | 'admin' | 'session' | 'none';
  readonly body?: { readonly contentTypes?: readonly string[] };
}

export interface OperationExample {
  /** Path parameters: the value shown in the URL (a shell variable such as $ID, or a literal). */
  readonly path?: Readonly<Record<string, string>>;
  readonly query?: Readonly<Record<string, string>>;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: unknown;
  /** Extra curl options: -i where a response header matters, -o for a binary body. */
  readonly curlFlags?: string;
  readonly response: { readonly status: number; readonly body?: unknown; readonly headers?: Readonly<Record<string, string>> };
}

const ID = 'CwOo3BQuMQ-EwjpNTH3czA';
const T0 = '2026-11-30T00:31:22.478Z';
const EXPIRES = '2026-12-07T00:31:22.478Z';
const SEND_KEY_ID = 'b88217414a9301eb';
const ADMIN_KEY_ID = '86ca637633a5c91e';
const HOOK_ID = 'wh_d68G8mYrsNIphELE';

const recipient = { email: 'alice@example.com', kind: 'to', status: 'notified', opens: 1, notifiedAt: '2026-11-30T00:31:22.643Z', firstOpenedAt: '2026-11-30T00:31:29.501Z', lastOpenedAt: '2026-11-30T00:31:29.501Z' };
const summary = {
  id: ID, state: 'active', createdAt: T0, expiresAt: EXPIRES, maxViews: 3, replyTo: 'lab@demo-clinic.example', sizeBytes: 2816,
  custody: 'link', verification: 'none', recipients: [recipient],
};
const events = [
  { id: 'ev_zQ8PsufXT8j1', type: 'created', at: T0, recordedAt: '2026-11-30T00:31:22.548Z', actor: `key:${SEND_KEY_ID}`, messageId: ID, sourceIp: '203.0.113.9', userAgent: 'curl/8.5.0' },
  { id: 'ev_drovQk42JWdo', type: 'notified', at: '2026-11-30T00:31:22.643Z', recordedAt: '2026-11-30T00:31:22.660Z', actor: 'system', messageId: ID, recipient: 'alice@example.com' },
  { id: 'ev_7YQU151XNxdm', type: 'opened', at: '2026-11-30T00:31:29.501Z', recordedAt: '2026-11-30T00:31:29.529Z', actor: 'recipient:r0', messageId: ID, recipient: 'alice@example.com', detail: 'view 1 of 3', sourceIp: '198.51.100.20', userAgent: 'Mozilla/5.0' },
];
const settings = {
  tenantId: 'demo', revision: 2, displayName: 'Demo Health Clinic', senderAddress: 'notices@demo-clinic.example', replyTo: 'care@demo-clinic.example',
  portalHostnames: [], pendingHostnames: ['secure.demo-clinic.example'], defaultExpiryDays: 14, maxExpiryDays: 90,
  brand: { primaryColor: '#1d4ed8', logoUrl: null }, messageCenter: false, verification: 'none', auditRetentionDays: 2192,
};
const webhook = { id: HOOK_ID, url: 'https://hooks.example.com/sealpost', events: ['opened', 'bounced', 'expired'], createdAt: '2026-11-30T00:31:41.759Z' };
const tokens = { link: '$LINK_TOKEN', token: '$ACCESS_TOKEN' };
const html = '<!doctype html>…';

export const OPERATION_EXAMPLES: Readonly<Record<string, OperationExample>> = {
  sendMessage: {
    headers: { 'Idempotency-Key': 'lab-results-2026-0042' },
    body: {
      to: ['alice@example.com', { email: 'bob@example.com', name: 'Bob Example' }], subject: 'Lab results',
      text: 'Hello Alice, your results are ready.', html: '<p>Hello Alice, your <b>results</b> are ready.</p>',
      attachments: [{ filename: 'results.txt', contentType: 'text/plain', content: 'UmVzdWx0czogYWxsIGNsZWFyLgo=' }],
      expiresInDays: 7, maxViews: 3,
    },
    response: { status: 201, headers: { Location: `/v1/messages/${ID}` }, body: { id: ID, expiresAt: EXPIRES, recipients: [{ email: 'alice@example.com', status: 'notified' }, { email: 'bob@example.com', status: 'notified' }] } },
  },
  openUpload: {
    body: { recipients: 2 },
    response: {
      status: 201, headers: { Location: `/v1/uploads/${ID}`, 'Cache-Control': 'no-store' },
      body: {
        id: ID, expiresAt: '2026-11-30T12:31:22.478Z', partBytes: 4194304, maxBytes: 41943040, link: `http://localhost:3000/m/${ID}`,
        mime: { from: { email: 'notices@demo-clinic.example', name: 'Demo Health Clinic' }, messageId: `<${ID}@sealpost>` },
      },
    },
  },
  getPartUploadUrls: {
    path: { id: '$ID' },
    body: { bytes: 9437242, sha256: 'q1x3hL2yv9mZ0bJx6QnGfVd8mJ2W5rK3pT4uA7sE0cY=', parts: [{ index: 0, sha256: 'm8Ejd1CkYI0vNw1o7yB2Hq5JrS9tD3fL6aZxW4pG2uE=' }] },
    response: {
      status: 200, headers: { 'Cache-Control': 'no-store' },
      body: { parts: [{ index: 0, bytes: 4194304, url: `https://sealpost-blobs-example.s3.eu-west-1.amazonaws.com/blobs/${ID}/0?X-Amz-Algorithm=AWS4-HMAC-SHA256&…`, headers: { 'content-length': '4194304', 'content-type': 'application/octet-stream', 'if-none-match': '*', 'x-amz-checksum-sha256': 'm8Ejd1CkYI0vNw1o7yB2Hq5JrS9tD3fL6aZxW4pG2uE=', 'x-amz-tagging': 'sealpost-state=pending' }, expiresAt: '2026-11-30T01:31:22.478Z' }] },
    },
  },
  completeUpload: {
    path: { id: '$ID' },
    headers: { 'Idempotency-Key': 'scan-2026-0042' },
    body: {
      recipients: [
        { email: 'alice@example.com', secret: 'Pm0MldRCMMugWegn0JpvsVpCD4ZjlpSyk_mBg3Sa6hw' },
        { email: 'bob@example.com', kind: 'cc', tokenHash: 'dT8c3pYxVb1Qm0HnA5sKz7wR2eJ9gL4uF6oN3iC8yXk', linkTokenHash: 'hQ2vW7nR5kL0pZ3sM8xJ1cB6tY4gE9aD2fU7oN5iK3w' },
      ],
      expiresInDays: 7,
    },
    response: { status: 201, headers: { Location: `/v1/messages/${ID}` }, body: { id: ID, expiresAt: EXPIRES, recipients: [{ email: 'alice@example.com', status: 'notified' }, { email: 'bob@example.com', status: 'sender' }] } },
  },
  abandonUpload: { path: { id: '$ID' }, response: { status: 204 } },
  listMessages: { query: { limit: '25' }, response: { status: 200, body: { messages: [summary], cursor: `${T0}#${ID}` } } },
  getMessage: { path: { id: '$ID' }, response: { status: 200, body: { ...summary, events } } },
  changeMessageExpiry: {
    path: { id: '$ID' }, body: { expiresInDays: 14 },
    response: { status: 200, body: { ...summary, expiresAt: '2026-12-14T00:31:33.129Z', events: [...events, { id: 'ev_BUKUv7M7z193', type: 'expiry_changed', at: '2026-11-30T00:31:33.135Z', recordedAt: '2026-11-30T00:31:33.168Z', actor: `key:${SEND_KEY_ID}`, messageId: ID, before: { expiresAt: EXPIRES }, after: { expiresAt: '2026-12-14T00:31:33.129Z' } }] } },
  },
  revokeMessage: { path: { id: '$ID' }, response: { status: 204 } },
  listEvents: {
    query: { since: '2026-11-30T00:00:00Z', type: 'opened,revealed,expiry_changed', limit: '2' },
    response: { status: 200, body: { events: [events[2]], hasMore: false, cursor: `2026-11-30T00:31:29.529Z#7YQU151XNxdm` } },
  },
  getSettings: { curlFlags: '-i', response: { status: 200, headers: { ETag: '"2"' }, body: settings } },
  updateSettings: {
    headers: { 'If-Match': '"2"' }, body: { messageCenter: true },
    response: { status: 200, headers: { ETag: '"3"' }, body: { ...settings, revision: 3, messageCenter: true, notices: ['Message Center is on. From now on, each new message also keeps its recipients\' keys wrapped by KMS: recipients can open it from your Message Center after confirming a code sent to their email, and your administrators can recover it in an emergency.'] } },
  },
  createKey: { body: { scope: 'send' }, response: { status: 201, headers: { Location: '/v1/admin/keys/4ecac0e6c685a70e' }, body: { id: '4ecac0e6c685a70e', key: 'sp_4ecac0e6c685a70e_PUgua1pH427MY3I1xVaegWitG_sFNf-7F4iyFe663YE', scope: 'send', createdAt: '2026-11-30T00:31:41.681Z' } } },
  listKeys: {
    response: { status: 200, body: { keys: [
      { id: '4ecac0e6c685a70e', scope: 'send', createdAt: '2026-11-30T00:31:41.681Z', createdBy: `key:${ADMIN_KEY_ID}`, lastUsedAt: null, revokedAt: null },
      { id: ADMIN_KEY_ID, scope: 'admin', createdAt: '2026-11-30T00:31:09.206Z', createdBy: 'operator', lastUsedAt: '2026-11-30T00:31:00.000Z', revokedAt: null },
    ] } },
  },
  revokeKey: { path: { id: '$KEY_ID' }, response: { status: 204 } },
  createWebhook: {
    body: { url: 'https://hooks.example.com/sealpost', events: ['opened', 'bounced', 'expired'] },
    response: { status: 201, headers: { Location: `/v1/admin/webhooks/${HOOK_ID}` }, body: { ...webhook, secret: 'whsec_Pmqa0-ZFNjJP8fsCFZCQd3XORbNi9hc0zIigI55EzDg' } },
  },
  listWebhooks: { response: { status: 200, body: { webhooks: [{ ...webhook, status: { attempts: 0, lastDeliveryAt: '2026-11-30T00:32:10.000Z' } }] } } },
  getWebhook: { path: { id: '$HOOK' }, response: { status: 200, body: { ...webhook, status: { attempts: 0 } } } },
  deleteWebhook: { path: { id: '$HOOK' }, response: { status: 204 } },
  listWebhookDeliveries: {
    path: { id: '$HOOK' }, query: { limit: '10' },
    response: { status: 200, body: { deliveries: [{ id: 'dlv_5SdpoDW2-DD4xG1K', at: '2026-11-30T00:31:48.904Z', eventId: 'ping_KoPp0B29xQb8A9OQ', eventType: 'ping', attempt: 1, status: 'delivered', statusCode: 204, durationMs: 41 }] } },
  },
  pingWebhook: { path: { id: '$HOOK' }, response: { status: 200, body: { delivered: true, statusCode: 204 } } },
  recoverMessage: {
    path: { id: '$ID' },
    response: { status: 201, headers: { 'Cache-Control': 'no-store' }, body: { url: `https://secure.example.com/m/${ID}#recover:q3Xn1V0mO4cFzq7d6oU0u8Qm7n3gkHBlC2h8vUoCqWk`, expiresAt: '2026-12-01T00:35:02.114Z' } },
  },
  getPickupPage: { path: { id: '$ID' }, response: { status: 200, body: html } },
  openMessage: { path: { id: '$ID' }, curlFlags: '-o message.pgp', body: { ...tokens, part: 0 }, response: { status: 200, headers: { 'Sealpost-Parts': '1' }, body: '(the binary OpenPGP message, or part 0 of it)' } },
  sendCode: {
    path: { id: '$ID' }, body: tokens,
    response: { status: 403, body: { type: 'urn:sealpost:problem:verification-required', title: 'Verification required', status: 403, detail: 'We emailed a 6-digit code to a•••e@example.com. Enter it to open the message.', requestId: '8d58f417-baab-4762-b934-ced7d68bda43', sentTo: 'a•••e@example.com', expiresAt: '2026-11-30T00:41:22.000Z' } },
  },
  replyToMessage: {
    path: { id: '$ID' }, body: { ...tokens, subject: 'Re: Lab results', text: 'Thank you, received.' },
    response: { status: 201, headers: { 'Cache-Control': 'no-store' }, body: { id: 'R5m2cXq0TtyQh6lS0v4a9A', expiresAt: EXPIRES } },
  },
  getInboxPage: { response: { status: 200, body: html } },
  getTenantInboxPage: { path: { tenantId: 'demo' }, response: { status: 200, body: html } },
  requestInboxCode: { path: { tenantId: 'demo' }, body: { email: 'alice@example.com' }, response: { status: 202, body: { sent: true } } },
  verifyInboxCode: {
    path: { tenantId: 'demo' }, curlFlags: '-i', body: { email: 'alice@example.com', code: '123456' },
    response: { status: 204, headers: { 'Set-Cookie': '__Host-sealpost_inbox=…; Path=/; HttpOnly; Secure; SameSite=Strict' } },
  },
  listInboxMessages: {
    path: { tenantId: 'demo' },
    response: { status: 200, body: { messages: [{ id: ID, sender: 'Demo Health Clinic', createdAt: T0, expiresAt: EXPIRES, read: true, replied: false }] } },
  },
  openInboxMessage: { path: { tenantId: 'demo', id: '$ID' }, body: {}, response: { status: 200, headers: { 'Cache-Control': 'no-store' }, body: { secret: 'Pm0MldRCMMugWegn0JpvsVpCD4ZjlpSyk_mBg3Sa6hw' } } },
  signOutOfInbox: { path: { tenantId: 'demo' }, body: {}, response: { status: 204, headers: { 'Set-Cookie': '__Host-sealpost_inbox=; Max-Age=0; Path=/; HttpOnly; Secure; SameSite=Strict' } } },
  getAsset: { path: { name: 'pickup.css' }, response: { status: 200, body: '/* the stylesheet */' } },
  getBrandLogo: { path: { tenantId: 'demo', digest: 'thpJRtpsGYcrB1m6YwWIgeAB8ooNp5axf1uCOS4jAY0' }, response: { status: 200, body: '(the PNG or SVG)' } },
  getBrandTheme: { path: { tenantId: 'demo' }, response: { status: 200, body: ':root{--brand:#1d4ed8}' } },
  getAdminConsole: { response: { status: 200, body: html } },
  getHealth: { response: { status: 200, body: { status: 'ok' } } },
  getOpenApiDocument: { response: { status: 200, body: { openapi: '3.1.1', info: { title: 'sealpost API' }, paths: '…' } } },
  getApiReference: { response: { status: 200, body: html } },
  getApiReferenceStylesheet: { response: { status: 200, body: '/* the stylesheet */' } },
  getApiReferenceScript: { response: { status: 200, body: '/* the script */' } },
  getFavicon: { response: { status: 200, body: '(the icon)' } },
};

/** The headers a real call of `op` needs besides its example's own: the key, the inbox cookie and Origin, the body's type. */
function impliedHeaders(op: SampleOperation, origin: string): [string, string][] {
  const headers: [string, string][] = [];
  if (op.scope === 'send') headers.push(['Authorization', 'Bearer $KEY']);
  if (op.scope === 'admin') headers.push(['Authorization', 'Bearer $ADMIN_KEY']);
  if (op.scope === 'session') headers.push(['Cookie', '__Host-sealpost_inbox=$SESSION']);
  if (op.path.startsWith('/inbox/api/') && op.method === 'post') headers.push(['Origin', origin]);
  if (op.body) headers.push(['Content-Type', op.body.contentTypes?.[0] ?? 'application/json']);
  return headers;
}

const shellQuote = (text: string) => `'${text.replace(/'/g, `'\\''`)}'`;
/** Double quotes keep $VARIABLES working; nothing else in these values needs quoting. */
const doubleQuote = (text: string) => `"${text.replace(/(["\\`])/g, '\\$1')}"`;

/** The example as a curl command against `origin`, one option per line. */
export function curlSample(op: SampleOperation, example: OperationExample, origin: string): string {
  const path = op.path.replace(/\{(\w+)\}/g, (_, name: string) => example.path?.[name] ?? `$${name.toUpperCase()}`);
  const query = example.query ? `?${new URLSearchParams(example.query as Record<string, string>).toString().replace(/%2C/g, ',').replace(/%3A/g, ':')}` : '';
  const { method } = op;
  const lines = [`curl -sS${example.curlFlags ? ` ${example.curlFlags}` : ''}${method === 'get' || (method === 'post' && example.body !== undefined) ? '' : ` -X ${method.toUpperCase()}`} ${doubleQuote(`${origin}${path}${query}`)}`];
  for (const [name, value] of [...impliedHeaders(op, origin), ...Object.entries(example.headers ?? {})]) {
    lines.push(`-H ${/[$]/.test(value) ? doubleQuote(`${name}: ${value}`) : shellQuote(`${name}: ${value}`)}`);
  }
  if (example.body !== undefined) {
    // A long body reads better a field a line (a quoted string may span lines in a shell).
    const flat = JSON.stringify(example.body);
    const json = flat.length > 72 ? JSON.stringify(example.body, null, 2).replace(/\n/g, '\n  ') : flat;
    // Placeholders such as $ACCESS_TOKEN must reach the shell unquoted.
    lines.push(`-d ${/"\$[A-Z_]+"/.test(json) ? doubleQuote(json) : shellQuote(json)}`);
  }
  return lines.join(' \\\n  ');
}
