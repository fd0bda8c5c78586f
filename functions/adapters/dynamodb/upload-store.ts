/**
 * UploadStore on DynamoDB: one item per sealed upload, beside the head its message will have
 * (MSG#<id> / UPLOAD), so the sender API's grants on message items cover it. Every change is one
 * conditional write naming the tenant; a claim carries a token, so a claim whose answer was lost is
 * recognised as this request's own, and its time, so a claim whose request died is taken over once
 * its lease has run out. The item expires (TTL) two days after the upload does.
 */
import { DeleteItemCommand, GetItemCommand, UpdateItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { DependencyError, addDays, ttlFor } from '../../core/shared/index.ts';
import { UPLOAD_CLAIM_LEASE_MS, type UploadRecord, type UploadStore } from '../../core/messages/index.ts';
import { TTL_ATTRIBUTE, isConditionFailure, key, mayHaveApplied, putIfAbsent, writeToken } from './table.ts';

export class DynamoDbUploadStore implements UploadStore {
  constructor(private readonly client: DynamoDBClient, private readonly tableName: string) {}

  async create(upload: UploadRecord): Promise<boolean> {
    return this.call('The upload could not be opened. Nothing was stored; retry.', () => putIfAbsent(this.client, this.tableName, {
      ...marshall({ ...upload, ...key.upload(upload.id), type: 'upload' }, { removeUndefinedValues: true }),
      [TTL_ATTRIBUTE]: { N: String(ttlFor(addDays(new Date(upload.expiresAt), 2))) },
    }));
  }

  async get(id: string): Promise<UploadRecord | undefined> {
    const { Item } = await this.call('The upload could not be read right now. Retry shortly.', () =>
      this.client.send(new GetItemCommand({ TableName: this.tableName, Key: marshall(key.upload(id)), ConsistentRead: true })));
    if (!Item) return undefined;
    const { pk: _pk, sk: _sk, type: _type, claim: _claim, [TTL_ATTRIBUTE]: _ttl, ...upload } = unmarshall(Item);
    return upload as UploadRecord;
  }

  async declare(tenantId: string, id: string, bytes: number, sha256: string, now: Date): Promise<boolean> {
    try {
      // Setting the same values again is harmless, so a retried or repeated declaration simply holds.
      await this.client.send(new UpdateItemCommand({
        TableName: this.tableName,
        Key: marshall(key.upload(id)),
        UpdateExpression: 'SET #bytes = :bytes, #sha256 = :sha256',
        ConditionExpression: 'attribute_exists(pk) AND #tenantId = :tenantId AND #state = :open AND #expiresAt > :now AND (attribute_not_exists(#bytes) OR (#bytes = :bytes AND #sha256 = :sha256))',
        ExpressionAttributeNames: { '#bytes': 'bytes', '#sha256': 'sha256', '#tenantId': 'tenantId', '#state': 'state', '#expiresAt': 'expiresAt' },
        ExpressionAttributeValues: marshall({ ':bytes': bytes, ':sha256': sha256, ':tenantId': tenantId, ':open': 'open', ':now': now.toISOString() }),
      }));
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw new DependencyError('The upload could not be declared right now. Retry.', 'dynamodb', error);
    }
  }

  async claim(tenantId: string, id: string, now: Date): Promise<boolean> {
    const token = writeToken();
    try {
      await this.client.send(new UpdateItemCommand({
        TableName: this.tableName,
        Key: marshall(key.upload(id)),
        UpdateExpression: 'SET #state = :completing, #claim = :token, #claimedAt = :now',
        // Open, or held by a request that has certainly died (a claim older than the lease, or one
        // recorded before claims had a time): a retry is never turned away for good.
        ConditionExpression: 'attribute_exists(pk) AND #tenantId = :tenantId AND #expiresAt > :now AND '
          + '(#state = :open OR (#state = :completing AND (attribute_not_exists(#claimedAt) OR #claimedAt < :stale)))',
        ExpressionAttributeNames: { '#state': 'state', '#claim': 'claim', '#claimedAt': 'claimedAt', '#tenantId': 'tenantId', '#expiresAt': 'expiresAt' },
        ExpressionAttributeValues: marshall({
          ':completing': 'completing', ':open': 'open', ':token': token, ':tenantId': tenantId, ':now': now.toISOString(),
          ':stale': new Date(now.getTime() - UPLOAD_CLAIM_LEASE_MS).toISOString(),
        }),
      }));
      return true;
    } catch (error) {
      if (mayHaveApplied(error)) {
        const stored = await this.client.send(new GetItemCommand({ TableName: this.tableName, Key: marshall(key.upload(id)), ConsistentRead: true })).then((r) => r.Item, () => undefined);
        if (stored?.claim?.S === token) return true;
      }
      if (isConditionFailure(error)) return false;
      throw new DependencyError('The upload could not be completed right now. Nothing was sent; retry.', 'dynamodb', error);
    }
  }

  release(tenantId: string, id: string): Promise<void> {
    return this.move(tenantId, id, 'completing', 'open');
  }

  finish(tenantId: string, id: string): Promise<void> {
    return this.move(tenantId, id, 'completing', 'committed');
  }

  async abort(tenantId: string, id: string): Promise<boolean> {
    try {
      await this.client.send(new DeleteItemCommand({
        TableName: this.tableName,
        Key: marshall(key.upload(id)),
        ConditionExpression: 'attribute_exists(pk) AND #tenantId = :tenantId AND #state = :open',
        ExpressionAttributeNames: { '#tenantId': 'tenantId', '#state': 'state' },
        ExpressionAttributeValues: marshall({ ':tenantId': tenantId, ':open': 'open' }),
      }));
      return true;
    } catch (error) {
      // A delete whose answer was lost and which then met its own first attempt is done.
      if (isConditionFailure(error) && mayHaveApplied(error)) {
        const stored = await this.get(id).catch(() => ({}) as UploadRecord);
        if (stored === undefined) return true;
      }
      if (isConditionFailure(error)) return false;
      throw new DependencyError('The upload could not be abandoned right now. Retry.', 'dynamodb', error);
    }
  }

  private async move(tenantId: string, id: string, from: UploadRecord['state'], to: UploadRecord['state']): Promise<void> {
    try {
      await this.client.send(new UpdateItemCommand({
        TableName: this.tableName,
        Key: marshall(key.upload(id)),
        UpdateExpression: 'SET #state = :to REMOVE #claim, #claimedAt',
        ConditionExpression: 'attribute_exists(pk) AND #tenantId = :tenantId AND #state IN (:from, :to)',
        ExpressionAttributeNames: { '#state': 'state', '#claim': 'claim', '#claimedAt': 'claimedAt', '#tenantId': 'tenantId' },
        ExpressionAttributeValues: marshall({ ':from': from, ':to': to, ':tenantId': tenantId }),
      }));
    } catch (error) {
      if (isConditionFailure(error)) return;
      throw new DependencyError('The upload\'s state could not be recorded.', 'dynamodb', error);
    }
  }

  private async call<T>(detail: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (error) {
      throw new DependencyError(detail, 'dynamodb', error);
    }
  }
}
