/**
 * The one DynamoDB table, and what each function may do with it. The key schema comes from the
 * adapters (functions/adapters/dynamodb-table.ts), so the table and the code cannot disagree.
 */
import { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { PARTITION_KEY, PARTITION_PREFIX, SORT_KEY, TTL_ATTRIBUTE } from '../../functions/adapters/dynamodb-table.ts';
import type { Keys } from './keys.ts';

/** Replacing the table would lose every message and audit event: its logical id never changes. */
export const TABLE_LOGICAL_ID = 'SealpostTable';

const { GET_ITEM, PUT_ITEM, UPDATE_ITEM, DELETE_ITEM, QUERY, BATCH_WRITE_ITEM } = dynamodb.Operation;
const { tenant: TENANTS, apiKey: API_KEYS, message: MESSAGES, idempotency: IDEMPOTENCY } = PARTITION_PREFIX;

/** Operations allowed on the items whose partition key starts with one of `partitions`. */
export interface TableGrant {
  readonly operations: readonly dynamodb.Operation[];
  readonly partitions: readonly string[];
}

/**
 * The exact DynamoDB operations each function's adapters call (functions/adapters/dynamodb-*.ts),
 * each limited to the item families it touches (dynamodb:LeadingKeys), so that, say, the portal —
 * which handles unauthenticated input — could not write an API key or a tenant even if its code
 * were subverted. Change them together with the adapters.
 */
export const TABLE_ACCESS = {
  /**
   * sender-api: tenant and API-key lookup (GetItem); idempotency records (PutItem, GetItem,
   * UpdateItem, DeleteItem); message chunks and head (PutItem); status (GetItem, Query for events);
   * revocation (UpdateItem, then BatchWriteItem deletes of chunks); audit events (BatchWriteItem).
   */
  sender: [
    { operations: [GET_ITEM], partitions: [TENANTS, API_KEYS, MESSAGES, IDEMPOTENCY] },
    { operations: [PUT_ITEM, UPDATE_ITEM], partitions: [MESSAGES, IDEMPOTENCY] },
    { operations: [DELETE_ITEM], partitions: [IDEMPOTENCY] },
    { operations: [QUERY, BATCH_WRITE_ITEM], partitions: [MESSAGES] },
  ],
  /** portal: head (GetItem), chunks of a part (Query), the open (UpdateItem), its event (BatchWriteItem). */
  pickup: [{ operations: [GET_ITEM, QUERY, UPDATE_ITEM, BATCH_WRITE_ITEM], partitions: [MESSAGES] }],
  /** ses-events: the head the feedback names (GetItem), the event it records (BatchWriteItem). */
  'mail-feedback': [{ operations: [GET_ITEM, BATCH_WRITE_ITEM], partitions: [MESSAGES] }],
} as const satisfies Record<string, readonly TableGrant[]>;
export type TableAccess = keyof typeof TABLE_ACCESS;

export interface DataProps {
  readonly keys: Keys;
  readonly removalPolicy: RemovalPolicy;
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
  }

  /** Gives `fn` the table name (SEALPOST_TABLE) and exactly the operations of `access`, and the key use they need. */
  bindTable(fn: lambda.Function, access: TableAccess): void {
    if (!fn.role) throw new Error(`${fn.node.path} has no role to bind the table to`);
    fn.addEnvironment('SEALPOST_TABLE', this.table.tableName);
    for (const grant of TABLE_ACCESS[access] as readonly TableGrant[]) {
      fn.addToRolePolicy(new iam.PolicyStatement({
        actions: grant.operations.map((operation) => `dynamodb:${operation}`),
        // No indexes yet: the table itself is the only resource.
        resources: [this.table.tableArn],
        conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': grant.partitions.map((prefix) => `${prefix}*`) } },
      }));
      for (const operation of grant.operations) this.bound.add(operation);
    }
    this.keys.allowUseThroughDynamoDb(fn.role);
  }

  /** Every operation some function was bound to: what the throttling alarm watches. */
  get boundOperations(): dynamodb.Operation[] {
    return [...this.bound];
  }
}
