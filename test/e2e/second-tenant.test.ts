/**
 * The "done when", end to end on the real local stack: a second tenant created with the CLI
 * brands its portal and emails, manages keys and webhooks (delivered, signed, to a real local HTTP
 * receiver), sees its audit trail, and sees nothing of the demo tenant's. Nothing it was given in
 * secret (keys, webhook secret) is kept in the clear.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deriveAccessToken, deriveLinkToken } from '../../functions/core/protocol/index.ts';
import { verifyWebhookSignature } from '../../functions/core/webhooks/index.ts';
import { startLocal, type LocalStack } from '../../functions/entries/local/start-local.ts';
import { capturedMail } from '../../functions/stand-ins/stand-ins.ts';
import { parseLink } from '../helpers/builders.ts';
import { dumpTable, findLeaks } from '../helpers/leak-scan.ts';
import { startReceiver, type Receiver } from '../helpers/webhook-receiver.ts';

const run = promisify(execFile);
let stack: LocalStack;
let receiver: Receiver;
const logs: string[] = [];

beforeAll(async () => {
  stack = await startLocal({
    port: 0, dynamoDbPort: 0, mailboxPort: 0, inMemory: true, dataDir: mkdtempSync(join(tmpdir(), 'sealpost-tenant2-')),
    webDir: 'dist/web', logWrite: (line) => logs.push(line), logLevel: 'info', maintenanceIntervalMs: 500,
  });
  receiver = await startReceiver();
});
afterAll(async () => {
  await receiver?.close();
  await stack?.close();
});

async function cli(...args: string[]): Promise<Record<string, string>> {
  const env = { ...process.env, DYNAMODB_PORT: new URL(stack.dynamoDbEndpoint).port, AWS_ENDPOINT_URL_DYNAMODB: '', SEALPOST_TABLE: '' };
  const { stdout } = await run(process.execPath, ['--import', 'tsx', 'functions/entries/admin-cli.ts', ...args], { env });
  return JSON.parse(stdout) as Record<string, string>;
}

function api(key: string, method: string, path: string, body?: unknown) {
  return fetch(`${stack.appUrl}${path}`, {
    method,
    headers: { Authorization: `Bearer ${key}`, ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 40_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

const LOGO = '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10"><rect width="10" height="10" fill="#0f766e"/></svg>';

describe('a second tenant, created with the CLI', () => {
  it('brands its portal and emails, manages keys and webhooks, sees its audit trail and nothing of the demo tenant', async () => {
    const { tenantId, adminKey } = await cli('tenant', 'create', '--name', 'Harbor Dental', '--sender', 'notices@harbor.example');
    expect(tenantId).toBeDefined();
    const admin = adminKey as string;

    // Brand and settings.
    const settings = await api(admin, 'PATCH', '/v1/admin/settings', {
      verification: 'none', replyTo: 'front-desk@harbor.example',
      brand: { primaryColor: '#0f766e', logo: { contentType: 'image/svg+xml', data: Buffer.from(LOGO).toString('base64') } },
    });
    expect(settings.status).toBe(200);
    const { brand } = await settings.json() as { brand: { logoUrl: string } };
    const logo = await fetch(`${stack.appUrl}${brand.logoUrl}`);
    expect(logo.headers.get('Content-Type')).toMatch(/^image\/svg\+xml/);
    expect(await logo.text()).toContain('<rect');
    // The logo's own sandbox policy is kept beside the page policy (both enforced), and webmail may load it.
    expect(logo.headers.get('Content-Security-Policy')).toMatch(/sandbox/);
    expect(logo.headers.get('Content-Security-Policy')).toContain("frame-ancestors 'none'");
    expect(logo.headers.get('Cross-Origin-Resource-Policy')).toBe('cross-origin');

    // Keys and webhooks.
    const sendKey = (await (await api(admin, 'POST', '/v1/admin/keys', { scope: 'send' })).json() as { key: string }).key;
    const hook = await api(admin, 'POST', '/v1/admin/webhooks', { url: receiver.url, events: ['created', 'notified', 'opened'] });
    expect(hook.status).toBe(201);
    const { secret } = await hook.json() as { secret: string };

    // A message: the notification carries the tenant's name, colour and reply-to, nothing of the demo tenant.
    const sent = await api(sendKey, 'POST', '/v1/messages', { to: ['patient@example.com'], subject: 'X-ray results', text: 'All clear.' });
    expect(sent.status).toBe(201);
    const { id } = await sent.json() as { id: string };
    const mail = await until('the notification', async () => (await capturedMail(stack.mailboxUrl)).find((m) => m.body.text?.includes(id)));
    expect(mail.from).toBe('"Harbor Dental" <notices@harbor.example>');
    expect(mail.body.html).toContain('#0f766e');
    expect(`${mail.subject}\n${mail.body.html}`).not.toMatch(/Demo Health/);
    const link = parseLink(mail.body.text ?? '');
    const page = await (await fetch(`${stack.appUrl}/m/${id}`)).text();
    expect(page).toContain('Harbor Dental');
    expect(page).not.toContain('Demo Health');
    const opened = await fetch(`${stack.appUrl}/m/${id}/open`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ link: await deriveLinkToken(link.secret), token: await deriveAccessToken(link.secret) }) });
    expect(opened.status).toBe(200);

    // The webhook receives created, notified and opened, each signed with the secret shown once.
    const deliveries = await until('three webhook deliveries', async () => (receiver.received.length >= 3 ? receiver.received.slice(0, 3) : undefined));
    expect(deliveries.map((d) => (JSON.parse(d.body) as { type: string }).type)).toEqual(['created', 'notified', 'opened']);
    for (const delivery of deliveries) {
      expect(await verifyWebhookSignature(secret, String(delivery.headers['sealpost-signature']), delivery.body, Math.floor(Date.now() / 1000))).toBe(true);
      expect(delivery.body).not.toContain('X-ray');
    }

    // The audit trail: settings, keys, webhook and the message's life, oldest first.
    const feed = await (await api(admin, 'GET', '/v1/events')).json() as { events: { type: string; messageId?: string }[] };
    expect(feed.events.map((e) => e.type)).toEqual(expect.arrayContaining(['key_created', 'settings_changed', 'webhook_created', 'created', 'notified', 'opened']));

    // Isolation from the demo tenant, both ways.
    const demoMessage = await (await api(stack.apiKey, 'POST', '/v1/messages', { to: ['someone@example.com'], subject: 'Demo', text: 'x' })).json() as { id: string };
    expect((await api(sendKey, 'GET', `/v1/messages/${demoMessage.id}`)).status).toBe(404);
    expect((await api(stack.apiKey, 'GET', `/v1/messages/${id}`)).status).toBe(404);
    expect(JSON.stringify(await (await api(admin, 'GET', '/v1/events')).json())).not.toContain(demoMessage.id);
    expect(JSON.stringify(await (await api(stack.adminKey, 'GET', '/v1/events')).json())).not.toContain(id);

    // No key or webhook secret kept in the clear, in the table or the logs.
    const needles = { admin, sendKey, secret, demoAdmin: stack.adminKey };
    const table = await dumpTable(stack.dynamoDbEndpoint, stack.tableName);
    expect(findLeaks(table.text, needles)).toEqual([]);
    expect(findLeaks(logs.join('\n'), needles)).toEqual([]);
  }, 90_000);
});
