/**
 * The single DynamoDB table: its key schema (shared by the adapters, the local bootstrap and the CDK
 * stack) and small helpers. Item layout (see docs/protocol.md):
 *
 *   TENANT#<tenantId>        TENANT           tenant profile and settings
 *   APIKEY#<keyId>           APIKEY           hash of an API key, its tenant and scope
 *   MSG#<messageId>          HEAD             message head: tenant, recipients (token hashes), state, expiry
 *   MSG#<messageId>          CHUNK#<00000>    ciphertext bytes, ≤ 300 KB each
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
import {
  BatchWriteItemCommand, ConditionalCheckFailedException, CreateTableCommand, DescribeTableCommand, ResourceNotFoundException,
  type DynamoDBClient, type WriteRequest,
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
  idempotency: (tenantId: string, keyHash: string) => ({ pk: `${P.idempotency}${tenantId}#${keyHash}`, sk: 'IDEM' }),
  logo: (tenantId: string, digest: string) => ({ pk: `${P.tenant}${tenantId}`, sk: `LOGO#${digest}` }),
  host: (hostname: string) => ({ pk: `${P.host}${hostname}`, sk: 'HOST' }),
  webhook: (webhookId: string) => ({ pk: `${P.webhook}${webhookId}`, sk: 'WEBHOOK' }),
} as const;

export function isConditionFailure(error: unknown): boolean {
  return error instanceof ConditionalCheckFailedException || (error as { name?: string } | null)?.name === 'ConditionalCheckFailedException';
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
