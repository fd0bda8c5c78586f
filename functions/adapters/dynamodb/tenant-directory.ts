/**
 * Tenants, their API keys, portal hostnames and logos on DynamoDB. Every change is one conditional
 * write: settings are replaced only at the revision they were read at, a hostname is claimed only
 * if free (or already ours), a key is revoked only if it is the tenant's and still active.
 */
import {
  DeleteItemCommand, GetItemCommand, PutItemCommand, QueryCommand, ScanCommand, UpdateItemCommand,
  type AttributeValue, type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { DependencyError } from '../../core/shared/index.ts';
import { defaultSettings, type ApiKeyRecord, type LogoRef, type Tenant, type TenantSettings, type TenantAdmin } from '../../core/tenants/index.ts';
import { INDEX, INDEX_PARTITION, isConditionFailure, key } from './table.ts';

/** A key's last use is written at most this often. */
const TOUCH_INTERVAL_MS = 60_000;

/**
 * A tenant item as a Tenant (also how the message store reads one with a message: readForOpen).
 * Tenants stored before settings were grouped (displayName at the top level) read as today's shape.
 */
export function toTenant(item: Record<string, unknown>): Tenant {
  const { pk: _pk, sk: _sk, type: _type, ...rest } = item;
  const legacy = rest as { id: string; displayName?: string; senderAddress?: string; settings?: Partial<TenantSettings>; createdAt?: string; revision?: number; disabled?: boolean };
  const settings: TenantSettings = {
    ...defaultSettings({
      displayName: legacy.displayName ?? legacy.settings?.displayName ?? legacy.id,
      senderAddress: legacy.senderAddress ?? legacy.settings?.senderAddress ?? '',
      verification: 'none',
    }),
    ...legacy.settings,
  };
  return {
    id: legacy.id,
    createdAt: legacy.createdAt ?? '1970-01-01T00:00:00.000Z',
    revision: legacy.revision ?? 0,
    settings,
    ...(legacy.disabled ? { disabled: true } : {}),
  };
}

function toKey(item: Record<string, unknown>): ApiKeyRecord {
  const { pk: _pk, sk: _sk, type: _type, gsi1pk: _g1, gsi1sk: _g2, ...record } = item;
  return record as unknown as ApiKeyRecord;
}

export class DynamoDbTenantDirectory implements TenantAdmin {
  constructor(private readonly client: DynamoDBClient, private readonly tableName: string) {}

  async getTenant(tenantId: string): Promise<Tenant | undefined> {
    const item = await this.get(key.tenant(tenantId));
    return item ? toTenant(item) : undefined;
  }

  async getApiKey(keyId: string): Promise<ApiKeyRecord | undefined> {
    const item = await this.get(key.apiKey(keyId));
    return item ? toKey(item) : undefined;
  }

  async tenantForHostname(hostname: string): Promise<Tenant | undefined> {
    const claim = await this.get(key.host(hostname));
    if (typeof claim?.tenantId !== 'string') return undefined;
    const tenant = await this.getTenant(claim.tenantId);
    // A claim left behind by an interrupted settings change does not count: the settings decide.
    return tenant && !tenant.disabled && tenant.settings.portalHostnames.includes(hostname) ? tenant : undefined;
  }

  async touchApiKey(keyId: string, now: Date): Promise<void> {
    try {
      await this.client.send(new UpdateItemCommand({
        TableName: this.tableName,
        Key: marshall(key.apiKey(keyId)),
        UpdateExpression: 'SET #lastUsedAt = :now',
        ConditionExpression: 'attribute_exists(pk) AND (attribute_not_exists(#lastUsedAt) OR #lastUsedAt <= :stale)',
        ExpressionAttributeNames: { '#lastUsedAt': 'lastUsedAt' },
        ExpressionAttributeValues: { ':now': { S: now.toISOString() }, ':stale': { S: new Date(now.getTime() - TOUCH_INTERVAL_MS).toISOString() } },
      }));
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
    }
  }

  async createTenant(tenant: Tenant): Promise<boolean> {
    return this.putIfAbsent({ ...tenant, ...key.tenant(tenant.id), type: 'tenant' });
  }

  async putApiKey(record: ApiKeyRecord): Promise<boolean> {
    return this.putIfAbsent({
      ...record, ...key.apiKey(record.keyId), type: 'apikey',
      [INDEX.byTenant.partitionKey]: INDEX_PARTITION.keys(record.tenantId), [INDEX.byTenant.sortKey]: `${record.createdAt}#${record.keyId}`,
    });
  }

  async listApiKeys(tenantId: string): Promise<ApiKeyRecord[]> {
    return (await this.queryIndex(INDEX_PARTITION.keys(tenantId))).map(toKey);
  }

  async revokeApiKey(tenantId: string, keyId: string, now: Date): Promise<ApiKeyRecord | undefined> {
    try {
      const { Attributes } = await this.client.send(new UpdateItemCommand({
        TableName: this.tableName,
        Key: marshall(key.apiKey(keyId)),
        UpdateExpression: 'SET #revokedAt = :now',
        ConditionExpression: 'attribute_exists(pk) AND #tenantId = :tenantId AND attribute_not_exists(#revokedAt)',
        ExpressionAttributeNames: { '#revokedAt': 'revokedAt', '#tenantId': 'tenantId' },
        ExpressionAttributeValues: { ':now': { S: now.toISOString() }, ':tenantId': { S: tenantId } },
        ReturnValues: 'ALL_NEW',
      }));
      return Attributes ? toKey(unmarshall(Attributes)) : undefined;
    } catch (error) {
      if (isConditionFailure(error)) return undefined;
      throw new DependencyError('The key could not be revoked right now. Nothing changed; retry.', 'dynamodb', error);
    }
  }

  async updateSettings(tenantId: string, expectedRevision: number, settings: TenantSettings): Promise<Tenant | undefined> {
    try {
      const { Attributes } = await this.client.send(new UpdateItemCommand({
        TableName: this.tableName,
        Key: marshall(key.tenant(tenantId)),
        UpdateExpression: 'SET #settings = :settings, #revision = :next REMOVE #displayName, #senderAddress',
        // Revision 0 stands for a tenant stored before revisions existed.
        ConditionExpression: expectedRevision === 0
          ? 'attribute_exists(pk) AND attribute_not_exists(#revision)'
          : 'attribute_exists(pk) AND #revision = :expected',
        ExpressionAttributeNames: { '#settings': 'settings', '#revision': 'revision', '#displayName': 'displayName', '#senderAddress': 'senderAddress' },
        ExpressionAttributeValues: {
          ':settings': { M: marshall(settings, { removeUndefinedValues: true }) },
          ':next': { N: String(expectedRevision + 1) },
          ...(expectedRevision === 0 ? {} : { ':expected': { N: String(expectedRevision) } }),
        },
        ReturnValues: 'ALL_NEW',
      }));
      return Attributes ? toTenant(unmarshall(Attributes)) : undefined;
    } catch (error) {
      if (isConditionFailure(error)) return undefined;
      throw new DependencyError('The settings could not be saved right now. Nothing changed; retry.', 'dynamodb', error);
    }
  }

  async claimHostname(hostname: string, tenantId: string): Promise<boolean> {
    try {
      await this.client.send(new PutItemCommand({
        TableName: this.tableName,
        Item: marshall({ ...key.host(hostname), type: 'host', tenantId }),
        ConditionExpression: 'attribute_not_exists(pk) OR #tenantId = :tenantId',
        ExpressionAttributeNames: { '#tenantId': 'tenantId' },
        ExpressionAttributeValues: { ':tenantId': { S: tenantId } },
      }));
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw new DependencyError('The hostname could not be reserved right now. Nothing changed; retry.', 'dynamodb', error);
    }
  }

  async releaseHostname(hostname: string, tenantId: string): Promise<void> {
    try {
      await this.client.send(new DeleteItemCommand({
        TableName: this.tableName,
        Key: marshall(key.host(hostname)),
        ConditionExpression: '#tenantId = :tenantId',
        ExpressionAttributeNames: { '#tenantId': 'tenantId' },
        ExpressionAttributeValues: { ':tenantId': { S: tenantId } },
      }));
    } catch (error) {
      if (!isConditionFailure(error)) throw new DependencyError('A hostname could not be released.', 'dynamodb', error);
    }
  }

  async putLogo(tenantId: string, logo: LogoRef, bytes: Uint8Array): Promise<void> {
    try {
      await this.client.send(new PutItemCommand({
        TableName: this.tableName,
        Item: { ...marshall({ ...key.logo(tenantId, logo.digest), type: 'logo', contentType: logo.contentType }), data: { B: bytes } },
      }));
    } catch (error) {
      throw new DependencyError('The logo could not be stored. Nothing changed; retry.', 'dynamodb', error);
    }
  }

  async getLogo(tenantId: string, digest: string): Promise<Uint8Array | undefined> {
    const item = await this.get(key.logo(tenantId, digest));
    return item?.data instanceof Uint8Array ? item.data : undefined;
  }

  async deleteLogo(tenantId: string, digest: string): Promise<void> {
    await this.client.send(new DeleteItemCommand({ TableName: this.tableName, Key: marshall(key.logo(tenantId, digest)) }));
  }

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
      for (const item of page.Items ?? []) tenants.push(toTenant(unmarshall(item)));
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return tenants.sort((a, b) => a.settings.displayName.localeCompare(b.settings.displayName));
  }

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

  private async putIfAbsent(item: Record<string, unknown>): Promise<boolean> {
    try {
      await this.client.send(new PutItemCommand({
        TableName: this.tableName,
        Item: marshall(item, { removeUndefinedValues: true }),
        ConditionExpression: 'attribute_not_exists(pk)',
      }));
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw new DependencyError('The change could not be saved right now. Nothing changed; retry.', 'dynamodb', error);
    }
  }

  /** All items of one per-tenant index partition, newest first. */
  private async queryIndex(partition: string): Promise<Record<string, unknown>[]> {
    const items: Record<string, unknown>[] = [];
    let startKey: Record<string, AttributeValue> | undefined;
    try {
      do {
        const page = await this.client.send(new QueryCommand({
          TableName: this.tableName,
          IndexName: INDEX.byTenant.name,
          KeyConditionExpression: '#p = :p',
          ExpressionAttributeNames: { '#p': INDEX.byTenant.partitionKey },
          ExpressionAttributeValues: { ':p': { S: partition } },
          ScanIndexForward: false,
          ExclusiveStartKey: startKey,
        }));
        for (const item of page.Items ?? []) items.push(unmarshall(item));
        startKey = page.LastEvaluatedKey;
      } while (startKey);
    } catch (error) {
      throw new DependencyError('The list could not be read right now. Try again shortly.', 'dynamodb', error);
    }
    return items;
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
