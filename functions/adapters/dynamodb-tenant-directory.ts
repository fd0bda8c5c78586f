/** TenantDirectory on DynamoDB, plus the writes the local bootstrap and the operator CLI need. */
import { GetItemCommand, PutItemCommand, ScanCommand, UpdateItemCommand, type AttributeValue, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { DependencyError } from '../core/errors.ts';
import type { ApiKeyRecord, Tenant } from '../core/model.ts';
import type { TenantDirectory } from '../core/ports.ts';
import { isConditionFailure, key } from './dynamodb-table.ts';

export class DynamoDbTenantDirectory implements TenantDirectory {
  constructor(private readonly client: DynamoDBClient, private readonly tableName: string) {}

  async getTenant(tenantId: string): Promise<Tenant | undefined> {
    const item = await this.get(key.tenant(tenantId));
    if (!item) return undefined;
    const { pk: _pk, sk: _sk, type: _type, ...tenant } = item;
    return tenant as unknown as Tenant;
  }

  async getApiKey(keyId: string): Promise<ApiKeyRecord | undefined> {
    const item = await this.get(key.apiKey(keyId));
    if (!item) return undefined;
    const { pk: _pk, sk: _sk, type: _type, ...record } = item;
    return record as unknown as ApiKeyRecord;
  }

  /** Creates or replaces a tenant profile. */
  async putTenant(tenant: Tenant): Promise<void> {
    await this.client.send(new PutItemCommand({
      TableName: this.tableName,
      Item: marshall({ ...tenant, ...key.tenant(tenant.id), type: 'tenant' }, { removeUndefinedValues: true }),
    }));
  }

  /** Stores a key's hash; returns false if that key id is already taken. */
  async putApiKey(record: ApiKeyRecord): Promise<boolean> {
    try {
      await this.client.send(new PutItemCommand({
        TableName: this.tableName,
        Item: marshall({ ...record, ...key.apiKey(record.keyId), type: 'apikey' }, { removeUndefinedValues: true }),
        ConditionExpression: 'attribute_not_exists(pk)',
      }));
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  /** All tenants. A Scan: meant for the operator CLI, not for request paths. */
  async listTenants(): Promise<Tenant[]> {
    const tenants: Tenant[] = [];
    let startKey: Record<string, AttributeValue> | undefined;
    do {
      const page = await this.client.send(new ScanCommand({
        TableName: this.tableName,
        FilterExpression: '#type = :tenant',
        ExpressionAttributeNames: { '#type': 'type' },
        ExpressionAttributeValues: { ':tenant': { S: 'tenant' } },
        ExclusiveStartKey: startKey,
      }));
      for (const item of page.Items ?? []) {
        const { pk: _pk, sk: _sk, type: _type, ...tenant } = unmarshall(item);
        tenants.push(tenant as unknown as Tenant);
      }
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return tenants.sort((a, b) => a.displayName.localeCompare(b.displayName));
  }

  /** Disables (or re-enables) a tenant; its keys stop working at once. Returns false if it does not exist. */
  async setDisabled(tenantId: string, disabled: boolean): Promise<boolean> {
    try {
      await this.client.send(new UpdateItemCommand({
        TableName: this.tableName,
        Key: marshall(key.tenant(tenantId)),
        UpdateExpression: 'SET #disabled = :disabled',
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeNames: { '#disabled': 'disabled' },
        ExpressionAttributeValues: { ':disabled': { BOOL: disabled } },
      }));
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  private async get(itemKey: { pk: string; sk: string }): Promise<Record<string, unknown> | undefined> {
    try {
      const { Item } = await this.client.send(new GetItemCommand({ TableName: this.tableName, Key: marshall(itemKey), ConsistentRead: true }));
      return Item ? unmarshall(Item) : undefined;
    } catch (error) {
      throw new DependencyError('Credentials could not be checked right now. Try again shortly.', 'dynamodb', error);
    }
  }
}
