/**
 * The one DynamoDB table, its two global secondary indexes, and what each function may do with
 * them. The key schema, the index names and the partition values come from the adapters
 * (functions/adapters/dynamodb/table.ts), so the table, the grants and the code cannot disagree.
 */
import { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { INDEX, INDEX_PARTITION, PARTITION_KEY, PARTITION_PREFIX, SORT_KEY, TTL_ATTRIBUTE } from '../../functions/adapters/dynamodb/table.ts';
import type { Keys } from './keys.ts';

/** Replacing the table would lose every message and audit event: its logical id never changes. */
export const TABLE_LOGICAL_ID = 'SealpostTable';

/** 'byTenant' (gsi1) or 'queue' (gsi2). */
export type IndexKey = keyof typeof INDEX;
export const INDEX_KEYS = Object.keys(INDEX) as IndexKey[];

/**
 * A transaction's Put and Update are authorised as PutItem and UpdateItem ("Using IAM with DynamoDB
 * transactions", DynamoDB Developer Guide): TransactWriteItems is no IAM action of its own, only a
 * metric operation (the throttling alarm watches it).
 */
const { GET_ITEM, BATCH_GET_ITEM, PUT_ITEM, UPDATE_ITEM, DELETE_ITEM, QUERY, BATCH_WRITE_ITEM, TRANSACT_WRITE_ITEMS } = dynamodb.Operation;

/** The adapters' partition prefixes (functions/adapters/dynamodb/table.ts). */
const PREFIX = PARTITION_PREFIX;

/** Every partition that starts with `prefix` (a StringLike pattern for dynamodb:LeadingKeys). */
const startingWith = (prefix: string): string => `${prefix}*`;
const TENANT = startingWith(PREFIX.tenant);
const API_KEY = startingWith(PREFIX.apiKey);
const MESSAGE = startingWith(PREFIX.message);
const IDEMPOTENCY = startingWith(PREFIX.idempotency);
const HOST = startingWith(PREFIX.host);
const WEBHOOK = startingWith(PREFIX.webhook);
const INBOX = startingWith(PREFIX.inbox);
const SIGN_IN = startingWith(PREFIX.signIn);
const SESSION = startingWith(PREFIX.session);
/** A per-tenant gsi1 partition of any tenant: 'KEYS#*', 'MSGS#*', … */
const anyTenant = (partition: (tenantId: string) => string): string => startingWith(partition(''));
const TENANT_KEYS = anyTenant(INDEX_PARTITION.keys);
const TENANT_MESSAGES = anyTenant(INDEX_PARTITION.messages);
const TENANT_EVENTS = anyTenant(INDEX_PARTITION.events);
const TENANT_WEBHOOKS = anyTenant(INDEX_PARTITION.webhooks);
/** The gsi2 work queues are single, fixed partitions. */
const { expiring: EXPIRING, allWebhooks: ALL_WEBHOOKS } = INDEX_PARTITION;

/**
 * Operations allowed on the table (or, with `index`, on that index) for the partitions matching
 * `partitions` (StringLike patterns of dynamodb:LeadingKeys).
 */
export interface TableGrant {
  readonly operations: readonly dynamodb.Operation[];
  readonly partitions: readonly string[];
  readonly index?: IndexKey;
}

/**
 * The exact DynamoDB operations each function's adapters call (functions/adapters/dynamodb-*.ts),
 * each limited to the partitions it touches (dynamodb:LeadingKeys), so that, say, the portal —
 * which handles unauthenticated input — could not write an API key or a tenant even if its code
 * were subverted. Change them together with the adapters.
 *
 * Audit events: EventLog.append puts an event with a source id on its own (PutItem, conditional)
 * and the others in batches (BatchWriteItem), into the message's partition or, for a tenant's own
 * events, the tenant's; every function that appends gets both operations for the partitions its
 * events go to. Writes keep the indexes current by themselves: no function is granted anything on
 * an index but Query.
 *
 * Query on an index: the Resource is the index ARN (a table grant does not cover its indexes), and
 * the partitions are the index's (gsi1pk, gsi2pk values). dynamodb:LeadingKeys is "the partition
 * key" of the request, and the only partition key a Query on an index names is the index's; AWS's
 * guide applies one LeadingKeys condition to a table and its index alike (docs.aws.amazon.com/
 * amazondynamodb/latest/developerguide/specifying-conditions.html, example 5) but does not spell
 * out the index case. The scoping cannot turn into an AccessDenied either way: should DynamoDB
 * supply no LeadingKeys for an index query, `ForAllValues` over an absent key is true, and the
 * grant falls back to "this index only". The CDK tests pin the patterns; a deployed smoke test of
 * the admin listings is what proves the index case.
 */
export const TABLE_ACCESS = {
  /**
   * sender-api (sender and admin API, secure replies): credentials (GetItem TENANT#, APIKEY#;
   * UpdateItem APIKEY#: last use, revocation; PutItem APIKEY#: new keys); settings (UpdateItem
   * TENANT#, PutItem and DeleteItem of TENANT# logo versions and HOST# claims); webhooks (PutItem,
   * GetItem, DeleteItem WEBHOOK#; PutItem WEBHOOK# ping records; Query WEBHOOK# deliveries); messages
   * (PutItem chunks and head, GetItem head, UpdateItem head and chunk TTLs — also replies and
   * recovery records on the head —, BatchWriteItem chunk deletes, Query MSG# events); the Message
   * Center entries of a message's recipients at send (PutItem INBOX# in the head's transaction;
   * BatchWriteItem INBOX# for more recipients than it holds); idempotency records (IDEM#, all four); tenant and message events; listings on gsi1:
   * keys, messages, the event feed, webhooks.
   */
  sender: [
    { operations: [GET_ITEM], partitions: [TENANT, API_KEY, WEBHOOK, MESSAGE, IDEMPOTENCY] },
    { operations: [PUT_ITEM], partitions: [TENANT, API_KEY, HOST, WEBHOOK, MESSAGE, IDEMPOTENCY, INBOX] },
    { operations: [UPDATE_ITEM], partitions: [TENANT, API_KEY, MESSAGE, IDEMPOTENCY] },
    { operations: [DELETE_ITEM], partitions: [TENANT, HOST, WEBHOOK, IDEMPOTENCY] },
    { operations: [BATCH_WRITE_ITEM], partitions: [TENANT, MESSAGE, INBOX] },
    { operations: [QUERY], partitions: [MESSAGE, WEBHOOK] },
    { operations: [QUERY], index: 'byTenant', partitions: [TENANT_KEYS, TENANT_MESSAGES, TENANT_EVENTS, TENANT_WEBHOOKS] },
  ],
  /**
   * portal (pickup page and Message Center): the head (GetItem, or BatchGetItem with its chunk —
   * and the tenant the pickup page named — for an open; verification codes, failed attempts and grants are conditional UpdateItems of it, the
   * open a transaction of that update and the event's PutItem), the hostname's tenant and
   * its profile and logos for the brand (GetItem HOST#, TENANT#), chunks of a part (Query), its
   * events (PutItem, BatchWriteItem MSG#); a recipient's inbox (Query INBOX#); inbox sign-in
   * challenges (conditional UpdateItem upserts of SIGNIN#, and GetItem to tell whether one whose
   * answer was lost happened) and sessions (GetItem,
   * PutItem, UpdateItem, DeleteItem of SESSION#). Exactly what the adapters call, no more. It can
   * write nothing of a tenant, a key, a webhook or an inbox entry.
   */
  recipient: [
    { operations: [GET_ITEM], partitions: [MESSAGE, HOST, TENANT, SIGN_IN, SESSION] },
    // An open: the head and its chunk in one read, with the tenant the page named (readForOpen).
    { operations: [BATCH_GET_ITEM], partitions: [MESSAGE, TENANT] },
    { operations: [QUERY], partitions: [MESSAGE, INBOX] },
    { operations: [PUT_ITEM], partitions: [MESSAGE, SESSION] },
    { operations: [UPDATE_ITEM], partitions: [MESSAGE, SIGN_IN, SESSION] },
    { operations: [DELETE_ITEM], partitions: [SESSION] },
    { operations: [BATCH_WRITE_ITEM], partitions: [MESSAGE] },
  ],
  /** ses-events: the head the feedback names (GetItem), the event it records (conditional PutItem or BatchWriteItem). */
  'mail-feedback': [{ operations: [GET_ITEM, PUT_ITEM, BATCH_WRITE_ITEM], partitions: [MESSAGE] }],
  /**
   * maintenance: the queues on gsi2 (EXPIRING heads, due WEBHOOKS); "expired" on the head
   * (UpdateItem) and its event; each webhook's claim and progress (UpdateItem WEBHOOK#), its
   * delivery records (PutItem WEBHOOK#) and its tenant's event feed on gsi1 (EVENTS#).
   */
  maintenance: [
    { operations: [UPDATE_ITEM, PUT_ITEM], partitions: [MESSAGE, WEBHOOK] },
    { operations: [BATCH_WRITE_ITEM], partitions: [MESSAGE] },
    { operations: [QUERY], index: 'queue', partitions: [EXPIRING, ALL_WEBHOOKS] },
    { operations: [QUERY], index: 'byTenant', partitions: [TENANT_EVENTS] },
  ],
} as const satisfies Record<string, readonly TableGrant[]>;
export type TableAccess = keyof typeof TABLE_ACCESS;
/** The functions that write a message's changes with their events in one transaction. */
const TRANSACTIONAL: readonly TableAccess[] = ['sender', 'recipient'];

export interface DataProps {
  readonly keys: Keys;
  readonly removalPolicy: RemovalPolicy;
  /**
   * The indexes to create (default: all). CloudFormation adds at most one index to an existing table
   * per update, so a stack deployed before the indexes existed is upgraded in two deploys.
   */
  readonly indexes?: readonly IndexKey[];
}

export class Data extends Construct {
  readonly table: dynamodb.Table;
  private readonly keys: Keys;
  private readonly bound = new Set<dynamodb.Operation>();

  constructor(scope: Construct, id: string, props: DataProps) {
    super(scope, id);
    this.keys = props.keys;
    const retained = props.removalPolicy !== RemovalPolicy.DESTROY;
    this.table = new dynamodb.Table(this, 'Table', {
      partitionKey: { name: PARTITION_KEY, type: dynamodb.AttributeType.STRING },
      sortKey: { name: SORT_KEY, type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      timeToLiveAttribute: TTL_ATTRIBUTE,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: dynamodb.TableEncryption.CUSTOMER_MANAGED,
      encryptionKey: props.keys.key,
      removalPolicy: props.removalPolicy,
      // Deletion protection also stops a console or CLI delete; a disposable stage must be deletable.
      deletionProtection: retained,
    });
    (this.table.node.defaultChild as dynamodb.CfnTable).overrideLogicalId(TABLE_LOGICAL_ID);
    for (const index of props.indexes ?? INDEX_KEYS) {
      const { name, partitionKey, sortKey } = INDEX[index];
      this.table.addGlobalSecondaryIndex({
        indexName: name,
        partitionKey: { name: partitionKey, type: dynamodb.AttributeType.STRING },
        sortKey: { name: sortKey, type: dynamodb.AttributeType.STRING },
        // The adapters read whole items from the indexes (message heads, events, endpoints).
        projectionType: dynamodb.ProjectionType.ALL,
      });
    }
  }

  /** ARN of an index, the resource of a Query on it. */
  indexArn(index: IndexKey): string {
    return `${this.table.tableArn}/index/${INDEX[index].name}`;
  }

  /** Gives `fn` the table name (SEALPOST_TABLE) and exactly the operations of `access`, and the key use they need. */
  bindTable(fn: lambda.Function, access: TableAccess): void {
    if (!fn.role) throw new Error(`${fn.node.path} has no role to bind the table to`);
    fn.addEnvironment('SEALPOST_TABLE', this.table.tableName);
    for (const grant of TABLE_ACCESS[access] as readonly TableGrant[]) {
      fn.addToRolePolicy(new iam.PolicyStatement({
        actions: grant.operations.map((operation) => `dynamodb:${operation}`),
        resources: [grant.index ? this.indexArn(grant.index) : this.table.tableArn],
        conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [...grant.partitions] } },
      }));
      for (const operation of grant.operations) this.bound.add(operation);
    }
    // A message's changes and their events are transactions (message-store.ts): their throttling
    // is reported under TransactWriteItems.
    if (TRANSACTIONAL.includes(access)) this.bound.add(TRANSACT_WRITE_ITEMS);
    this.keys.allowUseThroughDynamoDb(fn.role);
  }

  /** Every operation some function was bound to: what the throttling alarm watches. */
  get boundOperations(): dynamodb.Operation[] {
    return [...this.bound];
  }
}
