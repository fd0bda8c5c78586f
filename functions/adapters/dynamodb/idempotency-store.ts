/**
 * IdempotencyStore on DynamoDB. A key is claimed with one conditional put; the claim is a lease, so
 * a sender's retry after a crashed attempt is not blocked forever. Each claim carries its own token,
 * so a claim whose answer was lost is recognised as this request's own (not "still in flight"), and
 * a release frees only its own claim. Completed records keep the receipt (which holds no secret)
 * for 24 hours.
 */
import {
  DeleteItemCommand, GetItemCommand, PutItemCommand, UpdateItemCommand, type AttributeValue, type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { DependencyError } from '../../core/shared/index.ts';
import type { SendReceipt, IdempotencyBegin, IdempotencyStore } from '../../core/messages/index.ts';
import { TTL_ATTRIBUTE, isConditionFailure, key, mayHaveApplied, writeToken } from './table.ts';

export const IDEMPOTENCY_RETENTION_SECONDS = 24 * 60 * 60;
export const IDEMPOTENCY_LEASE_SECONDS = 120;

export class DynamoDbIdempotencyStore implements IdempotencyStore {
  constructor(private readonly client: DynamoDBClient, private readonly tableName: string, private readonly clock: () => Date = () => new Date()) {}

  async begin(tenantId: string, keyHash: string, requestHash: string, now: Date): Promise<IdempotencyBegin> {
    const nowSeconds = Math.floor(now.getTime() / 1000);
    const claim = writeToken();
    let failure: unknown;
    try {
      await this.client.send(new PutItemCommand({
        TableName: this.tableName,
        Item: {
          ...marshall({ ...key.idempotency(tenantId, keyHash), type: 'idempotency', state: 'in-flight', requestHash, claim, leaseUntil: nowSeconds + IDEMPOTENCY_LEASE_SECONDS }),
          [TTL_ATTRIBUTE]: { N: String(nowSeconds + IDEMPOTENCY_RETENTION_SECONDS) },
        },
        // Free, expired (TTL is late), or an abandoned in-flight claim whose lease ran out.
        ConditionExpression: 'attribute_not_exists(pk) OR #ttl < :now OR (#state = :inflight AND #leaseUntil < :now)',
        ExpressionAttributeNames: { '#ttl': TTL_ATTRIBUTE, '#state': 'state', '#leaseUntil': 'leaseUntil' },
        ExpressionAttributeValues: marshall({ ':now': nowSeconds, ':inflight': 'in-flight' }),
      }));
      return { state: 'new', claim };
    } catch (error) {
      failure = error;
    }
    let Item: Record<string, AttributeValue> | undefined;
    try {
      ({ Item } = await this.client.send(new GetItemCommand({ TableName: this.tableName, Key: marshall(key.idempotency(tenantId, keyHash)), ConsistentRead: true })));
    } catch (error) {
      throw new DependencyError('The request could not be started; nothing was stored or sent. Retry.', 'dynamodb', isConditionFailure(failure) ? error : failure);
    }
    const record = Item ? unmarshall(Item) : undefined;
    // Our own claim, whose answer was lost (or which the SDK's retry met): the request goes on.
    if (record?.claim === claim && mayHaveApplied(failure)) return { state: 'new', claim };
    if (!isConditionFailure(failure)) throw new DependencyError('The request could not be started; nothing was stored or sent. Retry.', 'dynamodb', failure);
    if (!record) return { state: 'in-flight' }; // released between our put and get: the sender retries
    if (record.requestHash !== requestHash) return { state: 'mismatch' };
    if (record.state === 'done' && typeof record.receipt === 'string') return { state: 'done', receipt: JSON.parse(record.receipt) as SendReceipt };
    return { state: 'in-flight' };
  }

  async complete(tenantId: string, keyHash: string, receipt: SendReceipt): Promise<void> {
    await this.client.send(new UpdateItemCommand({
      TableName: this.tableName,
      Key: marshall(key.idempotency(tenantId, keyHash)),
      UpdateExpression: 'SET #state = :done, #receipt = :receipt, #ttl = :ttl',
      ExpressionAttributeNames: { '#state': 'state', '#receipt': 'receipt', '#ttl': TTL_ATTRIBUTE },
      ExpressionAttributeValues: marshall({ ':done': 'done', ':receipt': JSON.stringify(receipt), ':ttl': Math.floor(this.clock().getTime() / 1000) + IDEMPOTENCY_RETENTION_SECONDS }),
    }));
  }

  async release(tenantId: string, keyHash: string, claim?: string): Promise<void> {
    try {
      await this.client.send(new DeleteItemCommand({
        TableName: this.tableName,
        Key: marshall(key.idempotency(tenantId, keyHash)),
        ConditionExpression: claim === undefined ? '#state = :inflight' : '#state = :inflight AND #claim = :claim',
        ExpressionAttributeNames: { '#state': 'state', ...(claim === undefined ? {} : { '#claim': 'claim' }) },
        ExpressionAttributeValues: marshall({ ':inflight': 'in-flight', ...(claim === undefined ? {} : { ':claim': claim }) }),
      }));
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
    }
  }
}
