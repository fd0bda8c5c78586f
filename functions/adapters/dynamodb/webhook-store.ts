/**
 * WebhookStore on DynamoDB. An endpoint is one item (WEBHOOK#<id> / WEBHOOK), listed per tenant on
 * gsi1 (WEBHOOKS#<tenantId>, by creation) and queued for the dispatcher on gsi2 (WEBHOOKS, by
 * nextAttemptAt). Its delivery records share its partition (DELIVERY#<at>#<id>) and expire by TTL
 * after 30 days. The secret is stored only as the KMS-wrapped bytes the core hands over.
 */
import {
  DeleteItemCommand, GetItemCommand, PutItemCommand, QueryCommand, UpdateItemCommand,
  type AttributeValue, type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { DependencyError, addDays, ttlFor } from '../../core/shared/index.ts';
import {
  DELIVERY_RETENTION_DAYS, type WebhookDelivery, type WebhookEndpoint, type WebhookProgress, type WebhookStore,
} from '../../core/webhooks/index.ts';
import { INDEX, INDEX_PARTITION, TTL_ATTRIBUTE, isConditionFailure, key } from './table.ts';

const DELIVERY_PREFIX = 'DELIVERY#';
const G1 = INDEX.byTenant;
const G2 = INDEX.queue;

const queueKey = (nextAttemptAt: string, id: string) => `${nextAttemptAt}#${id}`;

function toEndpoint(item: Record<string, AttributeValue>): WebhookEndpoint {
  const { pk: _pk, sk: _sk, type: _type, [G1.partitionKey]: _a, [G1.sortKey]: _b, [G2.partitionKey]: _c, [G2.sortKey]: _d, ...endpoint } = unmarshall(item);
  return endpoint as WebhookEndpoint;
}

function toDelivery(item: Record<string, AttributeValue>): WebhookDelivery {
  const { pk: _pk, sk: _sk, type: _type, [TTL_ATTRIBUTE]: _ttl, ...delivery } = unmarshall(item);
  return delivery as WebhookDelivery;
}

export class DynamoDbWebhookStore implements WebhookStore {
  constructor(private readonly client: DynamoDBClient, private readonly tableName: string) {}

  async create(endpoint: WebhookEndpoint): Promise<boolean> {
    try {
      await this.client.send(new PutItemCommand({
        TableName: this.tableName,
        Item: marshall({
          ...endpoint, ...key.webhook(endpoint.id), type: 'webhook',
          [G1.partitionKey]: INDEX_PARTITION.webhooks(endpoint.tenantId), [G1.sortKey]: `${endpoint.createdAt}#${endpoint.id}`,
          [G2.partitionKey]: INDEX_PARTITION.allWebhooks, [G2.sortKey]: queueKey(endpoint.nextAttemptAt, endpoint.id),
        }, { removeUndefinedValues: true }),
        ConditionExpression: 'attribute_not_exists(pk)',
      }));
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw new DependencyError('The webhook could not be registered; nothing was stored. Try again shortly.', 'dynamodb', error);
    }
  }

  async listForTenant(tenantId: string): Promise<WebhookEndpoint[]> {
    const endpoints: WebhookEndpoint[] = [];
    let startKey: Record<string, AttributeValue> | undefined;
    try {
      do {
        const page = await this.client.send(new QueryCommand({
          TableName: this.tableName, IndexName: G1.name,
          KeyConditionExpression: '#p = :p',
          ExpressionAttributeNames: { '#p': G1.partitionKey },
          ExpressionAttributeValues: { ':p': { S: INDEX_PARTITION.webhooks(tenantId) } },
          ExclusiveStartKey: startKey,
        }));
        endpoints.push(...(page.Items ?? []).map(toEndpoint).filter((e) => e.tenantId === tenantId));
        startKey = page.LastEvaluatedKey;
      } while (startKey);
    } catch (error) {
      throw new DependencyError('The webhooks could not be read right now. Try again shortly.', 'dynamodb', error);
    }
    return endpoints;
  }

  async get(tenantId: string, webhookId: string): Promise<WebhookEndpoint | undefined> {
    let item: Record<string, AttributeValue> | undefined;
    try {
      ({ Item: item } = await this.client.send(new GetItemCommand({ TableName: this.tableName, Key: marshall(key.webhook(webhookId)), ConsistentRead: true })));
    } catch (error) {
      throw new DependencyError('The webhook could not be read right now. Try again shortly.', 'dynamodb', error);
    }
    const endpoint = item ? toEndpoint(item) : undefined;
    return endpoint?.tenantId === tenantId ? endpoint : undefined;
  }

  async delete(tenantId: string, webhookId: string): Promise<boolean> {
    try {
      await this.client.send(new DeleteItemCommand({
        TableName: this.tableName, Key: marshall(key.webhook(webhookId)),
        ConditionExpression: '#t = :t',
        ExpressionAttributeNames: { '#t': 'tenantId' },
        ExpressionAttributeValues: { ':t': { S: tenantId } },
      }));
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw new DependencyError('The webhook could not be deleted right now; it is unchanged. Try again shortly.', 'dynamodb', error);
    }
  }

  async listDue(now: Date, limit: number): Promise<WebhookEndpoint[]> {
    try {
      const page = await this.client.send(new QueryCommand({
        TableName: this.tableName, IndexName: G2.name,
        // "~" sorts after every id character, so each endpoint due at exactly `now` is included.
        KeyConditionExpression: '#p = :p AND #s <= :upper',
        ExpressionAttributeNames: { '#p': G2.partitionKey, '#s': G2.sortKey },
        ExpressionAttributeValues: { ':p': { S: INDEX_PARTITION.allWebhooks }, ':upper': { S: `${now.toISOString()}#~` } },
        Limit: limit,
      }));
      return (page.Items ?? []).map(toEndpoint);
    } catch (error) {
      throw new DependencyError('The webhook queue could not be read.', 'dynamodb', error);
    }
  }

  async claim(webhookId: string, expectedNextAttemptAt: string, leaseToken: string, leaseUntil: Date): Promise<WebhookEndpoint | undefined> {
    const until = leaseUntil.toISOString();
    try {
      const { Attributes } = await this.client.send(new UpdateItemCommand({
        TableName: this.tableName, Key: marshall(key.webhook(webhookId)),
        UpdateExpression: 'SET #n = :until, #q = :q, #l = :token',
        ConditionExpression: 'attribute_exists(pk) AND #n = :expected',
        ExpressionAttributeNames: { '#n': 'nextAttemptAt', '#q': G2.sortKey, '#l': 'leaseToken' },
        ExpressionAttributeValues: marshall({ ':until': until, ':q': queueKey(until, webhookId), ':token': leaseToken, ':expected': expectedNextAttemptAt }),
        ReturnValues: 'ALL_NEW',
      }));
      return Attributes ? toEndpoint(Attributes) : undefined;
    } catch (error) {
      if (isConditionFailure(error)) return undefined;
      throw new DependencyError('The webhook could not be claimed.', 'dynamodb', error);
    }
  }

  async saveProgress(webhookId: string, leaseToken: string, progress: WebhookProgress, release?: Date): Promise<boolean> {
    const names: Record<string, string> = { '#pos': 'position', '#att': 'attempts', '#l': 'leaseToken', '#fs': 'failingSince' };
    const values: Record<string, unknown> = { ':pos': progress.position, ':att': progress.attempts, ':token': leaseToken };
    const set = ['#pos = :pos', '#att = :att'];
    const remove: string[] = [];
    if (progress.failingSince !== undefined) {
      set.push('#fs = :fs');
      values[':fs'] = progress.failingSince;
    } else {
      remove.push('#fs');
    }
    if (progress.lastDeliveryAt !== undefined) {
      names['#ld'] = 'lastDeliveryAt';
      set.push('#ld = :ld');
      values[':ld'] = progress.lastDeliveryAt;
    }
    if (release) {
      Object.assign(names, { '#n': 'nextAttemptAt', '#q': G2.sortKey });
      set.push('#n = :next', '#q = :q');
      values[':next'] = release.toISOString();
      values[':q'] = queueKey(release.toISOString(), webhookId);
      remove.push('#l');
    }
    try {
      await this.client.send(new UpdateItemCommand({
        TableName: this.tableName, Key: marshall(key.webhook(webhookId)),
        UpdateExpression: `SET ${set.join(', ')}${remove.length > 0 ? ` REMOVE ${remove.join(', ')}` : ''}`,
        ConditionExpression: '#l = :token',
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: marshall(values),
      }));
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw new DependencyError('The webhook progress could not be saved.', 'dynamodb', error);
    }
  }

  async recordDelivery(delivery: WebhookDelivery): Promise<void> {
    try {
      await this.client.send(new PutItemCommand({
        TableName: this.tableName,
        Item: {
          ...marshall({
            ...delivery, pk: key.webhook(delivery.webhookId).pk, sk: `${DELIVERY_PREFIX}${delivery.at}#${delivery.id}`, type: 'webhook-delivery',
          }, { removeUndefinedValues: true }),
          [TTL_ATTRIBUTE]: { N: String(ttlFor(addDays(new Date(delivery.at), DELIVERY_RETENTION_DAYS))) },
        },
      }));
    } catch (error) {
      throw new DependencyError('The webhook delivery could not be recorded.', 'dynamodb', error);
    }
  }

  async listDeliveries(tenantId: string, webhookId: string, limit: number): Promise<WebhookDelivery[]> {
    try {
      const page = await this.client.send(new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :d)',
        FilterExpression: '#t = :t',
        ExpressionAttributeNames: { '#t': 'tenantId' },
        ExpressionAttributeValues: marshall({ ':pk': key.webhook(webhookId).pk, ':d': DELIVERY_PREFIX, ':t': tenantId }),
        ScanIndexForward: false,
        Limit: limit,
      }));
      return (page.Items ?? []).map(toDelivery);
    } catch (error) {
      throw new DependencyError('The webhook deliveries could not be read right now. Try again shortly.', 'dynamodb', error);
    }
  }
}
