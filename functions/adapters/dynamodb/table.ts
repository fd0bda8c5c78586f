/**
 * The single DynamoDB table: its key schema (shared by the adapters, the local bootstrap and the CDK
 * stack) and small helpers. Item layout (see docs/protocol.md):
 *
 *   TENANT#<tenantId>        TENANT           tenant profile and settings
 *   APIKEY#<keyId>           APIKEY           hash of an API key, its tenant and scope
 *   MSG#<messageId>          HEAD             message head: tenant, recipients (token hashes), state, expiry
 *   MSG#<messageId>          CHUNK#<00000>    ciphertext bytes, ≤ 300 KB each
 *   MSG#<messageId>          UPLOAD           a sealed upload: the message before its head (its parts are in S3)
 *   MSG#<messageId>          EVENT#<iso>#<stage>#<r>  audit event (<stage>: lifecycle order; <r>: 12 base64url characters, random or derived from a source id)
 *   IDEM#<tenantId>#<hash>   IDEM             idempotency record of POST /v1/messages
 *   TENANT#<tenantId>        EVENT#<iso>#…    audit event of the tenant itself (settings, keys, webhooks)
 *   TENANT#<tenantId>        LOGO#<digest>    logo bytes (a version; the settings name the current one)
 *   HOST#<hostname>          HOST             which tenant's portal a hostname serves
 *   WEBHOOK#<webhookId>      WEBHOOK | DELIVERY#…   webhook endpoint and its delivery records
 *   INBOX#<tenantId>#<email hash>  <createdAt>#<messageId>  a Message Center message in a recipient's inbox
 *   SIGNIN#<tenantId>#<email hash> SIGNIN       the pending inbox sign-in code (hash) and its limits
 *   SESSION#<token hash>     SESSION          an inbox session (idle and absolute timeouts)
 *
 * Two global secondary indexes, both sparse (only items that set their attributes appear):
 *   gsi1 (gsi1pk, gsi1sk) — per-tenant listings, each under its own partition:
 *        KEYS#<tenantId> (API keys), MSGS#<tenantId> (message heads, by creation),
 *        EVENTS#<tenantId> (every audit event, by recording time), WEBHOOKS#<tenantId>.
 *   gsi2 (gsi2pk, gsi2sk) — work queues: EXPIRING (active heads by expiry), WEBHOOKS (all endpoints).
 *
 * Every item that can expire carries the TTL attribute `ttl` (epoch seconds).
 */
import { randomBytes } from 'node:crypto';
import {
  BatchWriteItemCommand, ConditionalCheckFailedException, CreateTableCommand, DescribeTableCommand, GetItemCommand, PutItemCommand,
  ResourceNotFoundException, TransactWriteItemsCommand, type AttributeValue, type DynamoDBClient, type TransactWriteItem, type WriteRequest,
} from '@aws-sdk/client-dynamodb';

export const PARTITION_KEY = 'pk';
export const SORT_KEY = 'sk';
export const TTL_ATTRIBUTE = 'ttl';

/** The global secondary indexes (names and key attributes), shared with the CDK stack. */
export const INDEX = {
  byTenant: { name: 'gsi1', partitionKey: 'gsi1pk', sortKey: 'gsi1sk' },
  queue: { name: 'gsi2', partitionKey: 'gsi2pk', sortKey: 'gsi2sk' },
} as const;

/** Partition values of the per-tenant index (gsi1) and the work-queue index (gsi2). */
export const INDEX_PARTITION = {
  keys: (tenantId: string) => `KEYS#${tenantId}`,
  messages: (tenantId: string) => `MSGS#${tenantId}`,
  events: (tenantId: string) => `EVENTS#${tenantId}`,
  webhooks: (tenantId: string) => `WEBHOOKS#${tenantId}`,
  expiring: 'EXPIRING',
  allWebhooks: 'WEBHOOKS',
} as const;

/** Partition-key prefixes by item family; the CDK stack scopes each function's IAM grants by them. */
export const PARTITION_PREFIX = {
  tenant: 'TENANT#', apiKey: 'APIKEY#', message: 'MSG#', idempotency: 'IDEM#', host: 'HOST#', webhook: 'WEBHOOK#',
  inbox: 'INBOX#', signIn: 'SIGNIN#', session: 'SESSION#',
} as const;
const P = PARTITION_PREFIX;

export const key = {
  tenant: (tenantId: string) => ({ pk: `${P.tenant}${tenantId}`, sk: 'TENANT' }),
  apiKey: (keyId: string) => ({ pk: `${P.apiKey}${keyId}`, sk: 'APIKEY' }),
  head: (messageId: string) => ({ pk: `${P.message}${messageId}`, sk: 'HEAD' }),
  chunk: (messageId: string, index: number) => ({ pk: `${P.message}${messageId}`, sk: `CHUNK#${String(index).padStart(5, '0')}` }),
  upload: (messageId: string) => ({ pk: `${P.message}${messageId}`, sk: 'UPLOAD' }),
  idempotency: (tenantId: string, keyHash: string) => ({ pk: `${P.idempotency}${tenantId}#${keyHash}`, sk: 'IDEM' }),
  logo: (tenantId: string, digest: string) => ({ pk: `${P.tenant}${tenantId}`, sk: `LOGO#${digest}` }),
  host: (hostname: string) => ({ pk: `${P.host}${hostname}`, sk: 'HOST' }),
  webhook: (webhookId: string) => ({ pk: `${P.webhook}${webhookId}`, sk: 'WEBHOOK' }),
} as const;

export function isConditionFailure(error: unknown): boolean {
  return error instanceof ConditionalCheckFailedException || (error as { name?: string } | null)?.name === 'ConditionalCheckFailedException';
}

/** At most this many items in one transaction (DynamoDB's limit is 100; the rest is headroom). */
export const MAX_TRANSACTION_ITEMS = 90;

/**
 * One TransactWriteItems: every write applied, or none. Resolves to undefined when applied, or to
 * the refusal — the index of the first item whose condition failed and that item as it was
 * (ReturnValuesOnConditionCheckFailure ALL_OLD on every item that has a condition). Other errors
 * are thrown; one cancelled by a conflict with another transaction or by throttling is tried again
 * (TRANSACTION_ATTEMPTS). The SDK gives the request a ClientRequestToken and keeps it across its
 * retries, so a retry after a lost answer does not apply it twice (DynamoDB's ten-minute
 * idempotency window).
 */
export async function transactWrite(client: DynamoDBClient, items: readonly TransactWriteItem[]): Promise<{ index: number; old?: Record<string, AttributeValue> } | undefined> {
  const withOld = items.map((item) => {
    const [kind, op] = Object.entries(item).find(([, v]) => v !== undefined) as [keyof TransactWriteItem, { ConditionExpression?: string }];
    return op.ConditionExpression ? { [kind]: { ...op, ReturnValuesOnConditionCheckFailure: 'ALL_OLD' } } as TransactWriteItem : item;
  });
  for (let attempt = 1; ; attempt++) {
    try {
      await client.send(new TransactWriteItemsCommand({ TransactItems: withOld }));
      return undefined;
    } catch (error) {
      const reasons = (error as { name?: string; CancellationReasons?: { Code?: string; Item?: Record<string, AttributeValue> }[] }).CancellationReasons;
      if ((error as { name?: string }).name !== 'TransactionCanceledException' || !reasons) throw error;
      const index = reasons.findIndex((r) => r.Code === 'ConditionalCheckFailed');
      if (index >= 0) {
        const old = reasons[index]?.Item;
        return old ? { index, old } : { index };
      }
      // Cancelled without applying anything because another transaction held an item, or throttled:
      // the SDK does not retry these (they are 400s), so the transaction is tried again, a few times,
      // after a short random pause.
      const retryable = reasons.some((r) => r.Code === 'TransactionConflict' || r.Code === 'ThrottlingError' || r.Code === 'ProvisionedThroughputExceeded');
      if (!retryable || attempt >= TRANSACTION_ATTEMPTS) throw error;
      await new Promise((resolve) => setTimeout(resolve, 20 * attempt + Math.random() * 40 * attempt));
    }
  }
}

/** Tries of a transaction cancelled by a conflict or throttling (transactWrite). */
const TRANSACTION_ATTEMPTS = 4;

/**
 * Whether a write that failed may have happened after all. The SDK retries a write whose answer was
 * lost (a reset connection, a timeout) or that failed with a 5xx ("may or may not have succeeded"),
 * so a retried write that then meets its condition may have met its own first attempt; and a write
 * that got no refusal from the service (no 4xx) may have landed too. Only then is a read worth making.
 */
export function mayHaveApplied(error: unknown): boolean {
  const meta = (error as { $metadata?: { attempts?: number; httpStatusCode?: number } } | null)?.$metadata;
  const status = meta?.httpStatusCode;
  return (meta?.attempts ?? 1) > 1 || status === undefined || status >= 500;
}

/**
 * A random token that a conditional update writes beside its change and names in its condition
 * (`<> :token`): the SDK's retry of the same request then never applies it twice, and a read after
 * an unclear failure tells whether this very write happened.
 */
export function writeToken(): string {
  return randomBytes(12).toString('base64url');
}

/**
 * Whether two items hold the same attributes and values, whatever the order of the attributes and of
 * a map's keys (DynamoDB keeps none). The members of a set (SS, NS, BS) are compared in order, and
 * numbers as written: no item compared here holds a set, and a difference only ever makes a write
 * that landed look failed, never the reverse.
 * (Compared as canonical JSON rather than with node:util's isDeepStrictEqual: importing node:util
 * compiles a dozen of Node's internal modules at every cold start.)
 */
export function sameItem(a: Record<string, AttributeValue>, b: Record<string, AttributeValue>): boolean {
  return canonical(a) === canonical(b);
}

/** An item as JSON with its keys sorted and binary values as base64, so that two reads of the same item compare equal. */
function canonical(value: unknown): string {
  if (value instanceof Uint8Array) return JSON.stringify({ $binary: Buffer.from(value).toString('base64') });
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value).filter(([, v]) => v !== undefined).sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'undefined';
}

/**
 * Puts `item` only if its key is free (one conditional put). When the put failed but may have
 * happened (mayHaveApplied), a strongly consistent read decides: finding the very item we put, it
 * was written — by our own attempt whose answer was lost. Returns false when another item holds the
 * key; throws the put's error when it failed.
 */
export async function putIfAbsent(client: DynamoDBClient, tableName: string, item: Record<string, AttributeValue>): Promise<boolean> {
  try {
    await client.send(new PutItemCommand({ TableName: tableName, Item: item, ConditionExpression: 'attribute_not_exists(pk)' }));
    return true;
  } catch (error) {
    if (mayHaveApplied(error)) {
      const stored = await client.send(new GetItemCommand({ TableName: tableName, Key: { pk: item.pk as AttributeValue, sk: item.sk as AttributeValue }, ConsistentRead: true }))
        .then((r) => r.Item, () => undefined);
      if (stored && sameItem(stored, item)) return true;
    }
    if (isConditionFailure(error)) return false;
    throw error;
  }
}

/** Creates the table if it does not exist (local development and tests; in AWS the CDK stack owns it). */
export async function ensureTable(client: DynamoDBClient, tableName: string): Promise<void> {
  try {
    await client.send(new DescribeTableCommand({ TableName: tableName }));
    return;
  } catch (error) {
    if (!(error instanceof ResourceNotFoundException) && (error as { name?: string }).name !== 'ResourceNotFoundException') throw error;
  }
  await client.send(new CreateTableCommand({
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [PARTITION_KEY, SORT_KEY, ...Object.values(INDEX).flatMap((i) => [i.partitionKey, i.sortKey])]
      .map((name) => ({ AttributeName: name, AttributeType: 'S' as const })),
    KeySchema: [{ AttributeName: PARTITION_KEY, KeyType: 'HASH' }, { AttributeName: SORT_KEY, KeyType: 'RANGE' }],
    GlobalSecondaryIndexes: Object.values(INDEX).map((i) => ({
      IndexName: i.name,
      KeySchema: [{ AttributeName: i.partitionKey, KeyType: 'HASH' as const }, { AttributeName: i.sortKey, KeyType: 'RANGE' as const }],
      Projection: { ProjectionType: 'ALL' as const },
    })),
  }));
  for (let attempt = 0; attempt < 50; attempt++) {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    if (Table?.TableStatus === 'ACTIVE') return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`table ${tableName} did not become ACTIVE`);
}

/**
 * Writes all requests in batches of 25 (BatchWriteItem's limit), retrying unprocessed items with
 * exponential backoff, as AWS advises for throttled batches. Throws if items stay unprocessed.
 */
export async function batchWriteAll(client: DynamoDBClient, tableName: string, requests: readonly WriteRequest[]): Promise<void> {
  for (let i = 0; i < requests.length; i += 25) {
    let pending: WriteRequest[] | undefined = requests.slice(i, i + 25);
    for (let attempt = 0; pending && pending.length > 0; attempt++) {
      if (attempt > 6) throw new Error(`${pending.length} items still unprocessed after ${attempt} attempts`);
      if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, Math.min(1000, 50 * 2 ** attempt)));
      const result: { UnprocessedItems?: Record<string, WriteRequest[]> } = await client.send(new BatchWriteItemCommand({ RequestItems: { [tableName]: pending } }));
      pending = result.UnprocessedItems?.[tableName];
    }
  }
}
