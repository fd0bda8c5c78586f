/**
 * The world of test/e2e/faults.test.ts: one local stack whose SDK clients carry the fault injector,
 * three tenants (standard, Message Center, webhooks), and what the checks read — answers, the
 * local mailbox, the table as dynalite holds it — through clients the injector never sees.
 */
import { randomBytes } from 'node:crypto';
import { DynamoDBClient, QueryCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { expect } from 'vitest';
import { seedLocal } from '../../functions/entries/local/bootstrap.ts';
import type { LocalStack } from '../../functions/entries/local/start-local.ts';
import { defaultSettings, generateApiKey, type Tenant } from '../../functions/core/tenants/index.ts';
import { deriveAccessToken, deriveLinkToken } from '../../functions/core/protocol/index.ts';
import { capturedMail, type CapturedMail } from '../../functions/stand-ins/stand-ins.ts';
import { FaultInjector } from './fault-injector.ts';
import { startTestStack } from './local-stack.ts';
import { parseLink } from './builders.ts';

export interface TenantKeys {
  readonly id: string;
  readonly sendKey: string;
  readonly adminKey: string;
}

export interface FaultWorld {
  readonly stack: LocalStack;
  readonly injector: FaultInjector;
  /** Reads the table as stored (not through the injector). */
  readonly table: DynamoDBClient;
  readonly logs: string[];
  readonly standard: TenantKeys;
  readonly center: TenantKeys;
  readonly hooks: TenantKeys;
}

const random = (n: number) => new Uint8Array(randomBytes(n));

async function addTenant(world: Pick<FaultWorld, 'table' | 'stack'>, id: string, name: string, messageCenter: boolean): Promise<TenantKeys> {
  const keys = { sendKey: generateApiKey(random).key, adminKey: generateApiKey(random).key };
  const tenant: Tenant = {
    id, createdAt: new Date().toISOString(), revision: 1,
    settings: { ...defaultSettings({ displayName: name, senderAddress: `notices@${id}.example`, verification: 'none' }), messageCenter },
  };
  await seedLocal(world.table, world.stack.tableName, keys, tenant);
  return { id, ...keys };
}

export async function startFaultWorld(): Promise<FaultWorld> {
  const injector = new FaultInjector();
  const logs: string[] = [];
  // No maintenance loop: its calls would mix with a flow's; the webhook flow runs it itself.
  const stack = await startTestStack({ onSdkClient: injector.attach, maintenanceIntervalMs: 0, signInAnswerMs: 0, tenantCacheMs: 0, logWrite: (line) => logs.push(line), logLevel: 'info' });
  const table = new DynamoDBClient({ region: 'us-east-1', endpoint: stack.dynamoDbEndpoint, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  const world = { stack, table };
  return {
    ...world, injector, logs,
    standard: { id: 'demo', sendKey: stack.apiKey, adminKey: stack.adminKey },
    center: await addTenant(world, 'center', 'Harbor Message Center', true),
    hooks: await addTenant(world, 'hooks', 'Webhook Works', false),
  };
}

let unique = 0;
/** A string no other run uses (for addresses, keys and subjects). */
export const uniqueTag = (prefix: string): string => `${prefix}${Date.now().toString(36)}${(unique++).toString(36)}`;

/** Message ids the calls recorded since the injector's last reset wrote to. */
export function touchedMessages(world: FaultWorld): string[] {
  const partitions = world.injector.recorded.filter((c) => c.write).flatMap((c) => c.partitions);
  return [...new Set(partitions.filter((p) => p.startsWith('MSG#')).map((p) => p.slice(4)))];
}

/** An HTTP answer, read once. */
export interface Answer {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  readonly bytes: Uint8Array;
  /** The body as JSON, when it is JSON. */
  readonly json: Record<string, unknown> | undefined;
}

export async function request(world: FaultWorld, path: string, init: { method?: string; headers?: Record<string, string>; body?: unknown } = {}): Promise<Answer> {
  const res = await fetch(`${world.stack.appUrl}${path}`, {
    method: init.method ?? 'POST',
    headers: { ...(init.body !== undefined ? { 'Content-Type': 'application/json' } : {}), ...init.headers },
    ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
  });
  const bytes = new Uint8Array(await res.arrayBuffer());
  const text = new TextDecoder().decode(bytes);
  let json: Record<string, unknown> | undefined;
  if (/json/.test(res.headers.get('Content-Type') ?? '')) json = JSON.parse(text) as Record<string, unknown>;
  return { status: res.status, headers: res.headers, text, bytes, json };
}

export const sendAs = (world: FaultWorld, key: string, body: unknown, idempotencyKey?: string) =>
  request(world, '/v1/messages', { headers: { Authorization: `Bearer ${key}`, ...(idempotencyKey ? { 'Idempotency-Key': idempotencyKey } : {}) }, body });

/** Empties the local mailbox (before a run, so that what it holds after is the run's). */
export async function clearMailbox(world: FaultWorld): Promise<void> {
  expect((await fetch(`${world.stack.mailboxUrl}/clear-store`, { method: 'POST' })).status).toBe(200);
}

export async function mailTo(world: FaultWorld, address: string): Promise<CapturedMail[]> {
  return (await capturedMail(world.stack.mailboxUrl)).filter((m) => m.destination.to.some((to) => to.toLowerCase().includes(address.toLowerCase())));
}

/** Each address's pickup link in the mailbox. */
export async function linksByAddress(world: FaultWorld): Promise<Map<string, { id: string; secret: string }>> {
  const links = new Map<string, { id: string; secret: string }>();
  for (const mail of await capturedMail(world.stack.mailboxUrl)) {
    const to = /[^\s<>"]+@[^\s<>"]+/.exec(mail.destination.to[0] ?? '')?.[0];
    if (to && mail.body.text?.includes('/m/')) links.set(to.toLowerCase(), parseLink(mail.body.text));
  }
  return links;
}

/** Every item of a partition, as stored now (strongly consistent). */
export async function partitionItems(world: FaultWorld, pk: string): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  let startKey: Record<string, AttributeValue> | undefined;
  do {
    const page = await world.table.send(new QueryCommand({
      TableName: world.stack.tableName, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': { S: pk } }, ConsistentRead: true, ExclusiveStartKey: startKey,
    }));
    items.push(...(page.Items ?? []).map((item) => unmarshall(item)));
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return items;
}

/** A message as stored: its head (if any), its chunks and its events. */
export async function storedMessage(world: FaultWorld, messageId: string) {
  const items = await partitionItems(world, `MSG#${messageId}`);
  const head = items.find((i) => i.sk === 'HEAD') as (Record<string, unknown> & { state: string; chunkCount: number; recipients: Record<string, unknown>[] }) | undefined;
  return {
    head,
    chunks: items.filter((i) => String(i.sk).startsWith('CHUNK#')),
    events: items.filter((i) => String(i.sk).startsWith('EVENT#')) as (Record<string, unknown> & { type: string })[],
  };
}

const PROBLEM_KEYS = ['type', 'title', 'status', 'detail', 'requestId', 'recipients', 'retryAfter', 'attemptsLeft', 'sentTo', 'expiresAt', 'errors'];
/** What an injected fault says about itself; none of it may reach an answer. */
const CAUSES = [
  /exception/i, /ECONN/, /socket hang up/, /TimeoutError/, /requestTimeout/, /InternalServerError/, /InternalFailure/, /Throttl/i,
  /provisioned throughput/i, /rate exceeded/i, /maximum sending rate/i, /fault-injected/, /smithy/i, /\.ts:\d+/, /\bat async\b/, /conditional request/i,
];

/** A problem+json answer with nothing in it but the problem: no cause, no stack, none of `secrets`. */
export function expectCleanProblem(answer: Answer, secrets: readonly string[] = []): void {
  expect(answer.headers.get('Content-Type'), answer.text).toBe('application/problem+json');
  const body = answer.json ?? {};
  expect(Object.keys(body).filter((k) => !PROBLEM_KEYS.includes(k)), answer.text).toEqual([]);
  expect(body.status).toBe(answer.status);
  for (const cause of CAUSES) expect(answer.text, `the answer names its cause (${cause})`).not.toMatch(cause);
  for (const secret of secrets) expect(answer.text.includes(secret), 'the answer holds a secret').toBe(false);
}

/** 503 "try again", generic. */
export function expectDependencyProblem(answer: Answer, secrets: readonly string[] = []): void {
  expect(answer.status, answer.text).toBe(503);
  expect(answer.json?.type).toBe('urn:sealpost:problem:dependency');
  expectCleanProblem(answer, secrets);
}

/** The one "not available" answer, exactly as documented (T2): the same body for every reason. */
export function expectUnavailable(answer: Answer): void {
  expect(answer.status, answer.text).toBe(404);
  const { requestId: _id, ...body } = answer.json ?? {};
  expect(body).toEqual({
    type: 'urn:sealpost:problem:message-unavailable', title: 'Not available', status: 404,
    detail: 'This message is not available. It may have expired or been revoked, or the link is incomplete.',
  });
}

/** One recipient of a sent message, with what the pickup page derives from the link. */
export interface Pickup { readonly id: string; readonly secret: string; readonly address: string; readonly link: string; readonly token: string }

/**
 * Recipients that runs can use one each: sends messages of 100 recipients as needed (with
 * `options` in the request) and hands out one unused recipient at a time.
 */
export function recipientPool(world: FaultWorld, tenant: () => TenantKeys, options: Record<string, unknown> = {}): () => Promise<Pickup> {
  let free: Pickup[] = [];
  return async () => {
    if (free.length === 0) {
      const t = uniqueTag('p');
      const to = Array.from({ length: 50 }, (_, i) => `${t}-to${i}@example.com`);
      const cc = Array.from({ length: 50 }, (_, i) => `${t}-cc${i}@example.com`);
      await clearMailbox(world);
      const sent = await sendAs(world, tenant().sendKey, { to, cc, subject: `Pool ${t}`, text: 'Pooled message.', ...options });
      expect(sent.status, sent.text).toBe(201);
      const links = await linksByAddress(world);
      free = await Promise.all([...to, ...cc].map(async (address) => {
        const { id, secret } = links.get(address) as { id: string; secret: string };
        return { id, secret, address, link: await deriveLinkToken(secret), token: await deriveAccessToken(secret) };
      }));
    }
    return free.shift() as Pickup;
  };
}
