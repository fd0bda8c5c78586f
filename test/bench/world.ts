/**
 * The bench's local stack: the real product (startLocal) on free ports, with three tenants —
 * standard (the demo tenant), Message Center, and one with a webhook endpoint — and the requests the
 * figures are made of (send, open, inbox sign-in and list), each checked for its happy answer.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { deriveAccessToken, deriveLinkToken } from '../../functions/core/protocol/index.ts';
import { defaultSettings, generateApiKey, type Tenant } from '../../functions/core/tenants/index.ts';
import { seedLocal } from '../../functions/entries/local/bootstrap.ts';
import { startLocal, type LocalOptions, type LocalStack } from '../../functions/entries/local/start-local.ts';
import { capturedMail } from '../../functions/stand-ins/stand-ins.ts';
import { parseLink } from '../helpers/builders.ts';

export interface BenchTenant { readonly id: string; readonly sendKey: string; readonly adminKey: string }

export interface BenchWorld {
  readonly stack: LocalStack;
  readonly standard: BenchTenant;
  readonly center: BenchTenant;
  readonly hooks: BenchTenant;
}

/** What opening needs: the message, and the tokens the page derives from the link. */
export interface Pickup { readonly id: string; readonly secret: string; readonly link: string; readonly token: string }

const random = (n: number) => new Uint8Array(randomBytes(n));

/** The local stack on free ports, in memory, serving the web client built in `webDir`. */
export async function startBenchWorld(webDir: string, options: LocalOptions = {}): Promise<BenchWorld> {
  const stack = await startLocal({
    port: 0, dynamoDbPort: 0, mailboxPort: 0, inMemory: true, dataDir: mkdtempSync(join(tmpdir(), 'sealpost-bench-')), webDir,
    logWrite: () => undefined, maintenanceIntervalMs: 0, signInAnswerMs: 0, ...options,
  });
  // Seeded through a client of its own, so that what the stack's clients see is the flows alone.
  const table = new DynamoDBClient({ region: 'us-east-1', endpoint: stack.dynamoDbEndpoint, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  const addTenant = async (id: string, name: string, messageCenter: boolean): Promise<BenchTenant> => {
    const keys = { sendKey: generateApiKey(random).key, adminKey: generateApiKey(random).key };
    const tenant: Tenant = {
      id, createdAt: new Date().toISOString(), revision: 1,
      settings: { ...defaultSettings({ displayName: name, senderAddress: `notices@${id}.example`, verification: 'none' }), messageCenter },
    };
    await seedLocal(table, stack.tableName, keys, tenant);
    return { id, ...keys };
  };
  const world = {
    stack,
    standard: { id: 'demo', sendKey: stack.apiKey, adminKey: stack.adminKey },
    center: await addTenant('center', 'Bench Message Center', true),
    hooks: await addTenant('hooks', 'Bench Webhooks', false),
  };
  table.destroy();
  return world;
}

let unique = 0;
/** An address no other request of this run uses. */
export const uniqueAddress = (prefix: string): string => `${prefix}-${process.pid}-${(unique++).toString(36)}@example.com`;

/** A send request body: one text part and, when `attachmentBytes` > 0, one random attachment. */
export function sendBody(to: readonly string[], attachmentBytes = 0): string {
  return JSON.stringify({
    to, subject: 'Bench', text: 'A message of the bench.',
    ...(attachmentBytes > 0
      ? { attachments: [{ filename: 'bench.bin', contentType: 'application/octet-stream', content: Buffer.from(randomBytes(attachmentBytes)).toString('base64') }] }
      : {}),
  });
}

async function expectStatus(response: Response, status: number, what: string): Promise<Response> {
  if (response.status !== status) throw new Error(`${what} answered ${response.status}: ${await response.text()}`);
  return response;
}

/** POST /v1/messages; resolves to the message id. */
export async function send(world: BenchWorld, tenant: BenchTenant, body: string): Promise<string> {
  const response = await fetch(`${world.stack.appUrl}/v1/messages`, {
    method: 'POST', headers: { Authorization: `Bearer ${tenant.sendKey}`, 'Content-Type': 'application/json' }, body,
  });
  return ((await (await expectStatus(response, 201, 'send')).json()) as { id: string }).id;
}

/** The pickup link mailed to `address` (the last one), with the tokens derived from it. */
export async function pickupFor(world: BenchWorld, address: string): Promise<Pickup> {
  const mail = (await capturedMail(world.stack.mailboxUrl)).filter((m) => m.destination.to.some((to) => to.includes(address)) && m.body.text?.includes('/m/')).at(-1);
  const { id, secret } = parseLink(mail?.body.text ?? '');
  return { id, secret, link: await deriveLinkToken(secret), token: await deriveAccessToken(secret) };
}

/** GET /m/{id}: the pickup page (which reads the head, to brand it and to say what opening needs). */
export async function page(world: BenchWorld, id: string): Promise<void> {
  await (await expectStatus(await fetch(`${world.stack.appUrl}/m/${id}`), 200, 'pickup page')).text();
}

/** The tenant id the pickup page of `id` carries (its meta data-tenant), which the page sends with the open. */
export async function pageTenant(world: BenchWorld, id: string): Promise<string> {
  const html = await (await expectStatus(await fetch(`${world.stack.appUrl}/m/${id}`), 200, 'pickup page')).text();
  const tenant = /<meta name="pickup-message"[^>]* data-tenant="([A-Za-z0-9_-]+)"/.exec(html)?.[1];
  if (tenant === undefined) throw new Error(`the pickup page of ${id} names no tenant`);
  return tenant;
}

/** POST /m/{id}/open for part 0; resolves to the ciphertext part. */
export async function open(world: BenchWorld, pickup: Pickup): Promise<Uint8Array> {
  const response = await fetch(`${world.stack.appUrl}/m/${pickup.id}/open`, {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ link: pickup.link, token: pickup.token }),
  });
  const answered = await expectStatus(response, 200, 'open');
  if (!answered.headers.get('Content-Type')?.startsWith('application/json')) return new Uint8Array(await answered.arrayBuffer());
  // A message in the blob store: its answer lists the parts, which the browser GETs from /blobs/….
  const { parts } = await answered.json() as { parts: { url: string }[] };
  const bytes: Uint8Array[] = [];
  for (const part of parts) bytes.push(new Uint8Array(await (await expectStatus(await fetch(new URL(part.url, world.stack.appUrl)), 200, 'blob part')).arrayBuffer()));
  return new Uint8Array(Buffer.concat(bytes));
}

/** Signs `address` in to the Message Center inbox (code by email, then verify); resolves to the session cookie. */
export async function signIn(world: BenchWorld, address: string): Promise<string> {
  const api = `${world.stack.appUrl}/inbox/api/${world.center.id}`;
  const post = (path: string, body: unknown) => fetch(`${api}/${path}`, {
    method: 'POST', headers: { 'Content-Type': 'application/json', Origin: world.stack.appUrl }, body: JSON.stringify(body),
  });
  await expectStatus(await post('sign-in', { email: address }), 202, 'inbox sign-in');
  const mail = (await capturedMail(world.stack.mailboxUrl)).filter((m) => m.destination.to.some((to) => to.includes(address)) && m.subject.startsWith('Your sign-in code')).at(-1);
  const code = /\b(\d{6})\b/.exec(mail?.body.text ?? '')?.[1];
  const verified = await expectStatus(await post('verify', { email: address, code }), 204, 'inbox verify');
  const cookie = /^\s*([^=;\s]+=[A-Za-z0-9_-]+)/.exec(verified.headers.get('Set-Cookie') ?? '')?.[1];
  if (!cookie) throw new Error('inbox verify set no session cookie');
  return cookie;
}

/** GET the inbox list of the signed-in address. */
export async function listInbox(world: BenchWorld, cookie: string): Promise<void> {
  const response = await fetch(`${world.stack.appUrl}/inbox/api/${world.center.id}/messages`, { headers: { Cookie: cookie, Origin: world.stack.appUrl } });
  await expectStatus(response, 200, 'inbox list');
}

/** Registers a webhook endpoint for the webhooks tenant, delivering every event to `url`. */
export async function registerWebhook(world: BenchWorld, url: string): Promise<void> {
  const response = await fetch(`${world.stack.appUrl}/v1/admin/webhooks`, {
    method: 'POST', headers: { Authorization: `Bearer ${world.hooks.adminKey}`, 'Content-Type': 'application/json' }, body: JSON.stringify({ url, events: ['*'] }),
  });
  await expectStatus(response, 201, 'webhook registration');
}
