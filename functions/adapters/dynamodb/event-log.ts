/**
 * EventLog on DynamoDB. A message's events live beside it (pk MSG#<id>), a tenant's own events
 * (settings, keys, webhooks) in its profile partition; every event is also in the tenant feed (gsi1,
 * EVENTS#<tenantId>, ordered by recording time). Events outlive the ciphertext by years.
 */
import { createHash } from 'node:crypto';
import { PutItemCommand, QueryCommand, type AttributeValue, type DynamoDBClient, type WriteRequest } from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import {
  EVENT_ID_PREFIX, type AuditEvent, type EventType, type StoredEvent, type EventLog, type EventPage, type EventQuery,
} from '../../core/audit/index.ts';
import { DependencyError, EVENT_RETENTION_DAYS, addDays, ttlFor, toBase64Url, type Clock, type RandomBytes } from '../../core/shared/index.ts';
import { INDEX, INDEX_PARTITION, PARTITION_PREFIX, TTL_ATTRIBUTE, batchWriteAll, isConditionFailure, key } from './table.ts';

const LIFECYCLE_ORDER: Record<EventType, number> = {
  created: 0, notified: 1, notify_failed: 1, delivered: 2, bounced: 2, complained: 3, code_sent: 4, verification_failed: 4, locked: 4,
  verified: 5, unwrapped: 5, recovered: 5, opened: 6, revealed: 7, replied: 8, expiry_changed: 8, revoked: 9, expired: 9,
  settings_changed: 0, key_created: 0, key_revoked: 0, webhook_created: 0, webhook_deleted: 0,
};
/** Query pages are bounded so one request cannot walk a whole feed through a narrow type filter. */
const MAX_PAGES = 10;

function stableSuffix(id: string): string {
  return createHash('sha256').update(id).digest('base64url').slice(0, 12);
}

function fromItem(item: Record<string, AttributeValue>): StoredEvent {
  const { pk: _pk, sk: _sk, [TTL_ATTRIBUTE]: _ttl, gsi1pk: _g1, gsi1sk: _g2, ...event } = unmarshall(item);
  return event as StoredEvent;
}

export class DynamoDbEventLog implements EventLog {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
    private readonly random: RandomBytes,
    private readonly clock: Clock = () => new Date(),
  ) {}

  /**
   * The items `events` are stored as (what append writes): for a store that writes them in the same
   * transaction as the change they record (message-store.ts). `hasSourceId`: put only if absent.
   */
  items(events: readonly AuditEvent[]): { hasSourceId: boolean; item: Record<string, AttributeValue> }[] {
    const recordedAt = this.clock().toISOString();
    return events.map((event) => {
      // An event with a source id gets a suffix derived from it (with its message and time, so the
      // public id is unique across messages), so a repeat of it is stored once.
      const suffix = event.id ? stableSuffix(`${event.tenantId}\n${event.messageId ?? ''}\n${event.id}\n${event.at}`) : toBase64Url(this.random(9));
      const { retentionDays = EVENT_RETENTION_DAYS, ...stored } = event;
      return {
        hasSourceId: event.id !== undefined,
        item: {
          ...marshall({
            ...stored,
            eventId: `${EVENT_ID_PREFIX}${suffix}`,
            recordedAt,
            pk: event.messageId ? key.head(event.messageId).pk : `${PARTITION_PREFIX.tenant}${event.tenantId}`,
            // Events of the same millisecond sort by lifecycle stage: a fast send must not list
            // "notified" before "created".
            sk: `EVENT#${event.at}#${LIFECYCLE_ORDER[event.type]}#${suffix}`,
            [INDEX.byTenant.partitionKey]: INDEX_PARTITION.events(event.tenantId),
            [INDEX.byTenant.sortKey]: `${recordedAt}#${suffix}`,
          }, { removeUndefinedValues: true, convertClassInstanceToMap: false }),
          [TTL_ATTRIBUTE]: { N: String(ttlFor(addDays(new Date(event.at), retentionDays))) },
        },
      };
    });
  }

  async append(events: readonly AuditEvent[]): Promise<void> {
    const items = this.items(events);
    try {
      // Repeatable events are put one by one, only if absent: a redelivery must neither duplicate
      // nor move the event in the tenant feed (webhooks would send it twice).
      await Promise.all(items.filter((i) => i.hasSourceId).map(async ({ item }) => {
        try {
          await this.client.send(new PutItemCommand({ TableName: this.tableName, Item: item, ConditionExpression: 'attribute_not_exists(pk)' }));
        } catch (error) {
          if (!isConditionFailure(error)) throw error;
        }
      }));
      const requests: WriteRequest[] = items.filter((i) => !i.hasSourceId).map(({ item }) => ({ PutRequest: { Item: item } }));
      await batchWriteAll(this.client, this.tableName, requests);
    } catch (error) {
      throw new DependencyError('The audit event could not be recorded.', 'dynamodb', error);
    }
  }

  async listForMessage(messageId: string): Promise<StoredEvent[]> {
    const events: StoredEvent[] = [];
    let startKey: Record<string, AttributeValue> | undefined;
    try {
      do {
        const page = await this.client.send(new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :event)',
          ExpressionAttributeValues: { ':pk': { S: key.head(messageId).pk }, ':event': { S: 'EVENT#' } },
          ExclusiveStartKey: startKey,
        }));
        for (const item of page.Items ?? []) events.push(fromItem(item));
        startKey = page.LastEvaluatedKey;
      } while (startKey);
    } catch (error) {
      throw new DependencyError('The message history could not be read right now. Try again shortly.', 'dynamodb', error);
    }
    return events;
  }

  async listForTenant(tenantId: string, query: EventQuery): Promise<EventPage> {
    const g = INDEX.byTenant;
    const names: Record<string, string> = { '#p': g.partitionKey };
    const values: Record<string, AttributeValue> = { ':p': { S: INDEX_PARTITION.events(tenantId) } };
    // Bounds go into the key condition, never a filter: the cursor moves past every item a query
    // looks at, and events still settling (after `until`) must not be passed over.
    const lower = query.newestFirst ? query.since : query.after ?? query.since;
    const upper = query.newestFirst ? query.before : query.until;
    // The one bound that excludes its own position (BETWEEN includes both ends).
    const exclusive = query.newestFirst ? query.before : query.after;
    // DynamoDB refuses a BETWEEN whose bounds are reversed: nothing can be in such a window anyway.
    if (lower !== undefined && upper !== undefined && lower >= upper) {
      return { events: [], hasMore: false, ...(exclusive !== undefined ? { cursor: exclusive } : {}) };
    }
    let range = '';
    if (lower !== undefined && upper !== undefined) {
      range = ' AND #s BETWEEN :lo AND :hi';
    } else if (lower !== undefined) {
      range = query.after !== undefined && !query.newestFirst ? ' AND #s > :lo' : ' AND #s >= :lo';
    } else if (upper !== undefined) {
      range = ' AND #s < :hi';
    }
    if (range) names['#s'] = g.sortKey;
    if (lower !== undefined) values[':lo'] = { S: lower };
    // "2026-…Z" sorts before "2026-…Z#suffix": every event recorded at `until` or later is excluded.
    if (upper !== undefined) values[':hi'] = { S: upper };
    const filters: string[] = [];
    if (query.types && query.types.length > 0) {
      names['#type'] = 'type';
      filters.push(`#type IN (${query.types.map((_, i) => `:t${i}`).join(', ')})`);
      query.types.forEach((type, i) => { values[`:t${i}`] = { S: type }; });
    }

    const events: StoredEvent[] = [];
    let startKey: Record<string, AttributeValue> | undefined;
    let cursor = exclusive;
    try {
      for (let page = 0; page < MAX_PAGES && events.length < query.limit; page++) {
        const result = await this.client.send(new QueryCommand({
          TableName: this.tableName,
          IndexName: g.name,
          KeyConditionExpression: `#p = :p${range}`,
          ...(filters.length > 0 ? { FilterExpression: filters.join(' AND ') } : {}),
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
          Limit: query.limit - events.length,
          ScanIndexForward: !query.newestFirst,
          ExclusiveStartKey: startKey,
        }));
        for (const item of result.Items ?? []) {
          // BETWEEN includes its bounds; "after" and "before" do not.
          if (exclusive !== undefined && item[g.sortKey]?.S === exclusive) continue;
          events.push(fromItem(item));
        }
        startKey = result.LastEvaluatedKey;
        const last = startKey?.[g.sortKey]?.S ?? result.Items?.at(-1)?.[g.sortKey]?.S;
        if (last !== undefined) cursor = last;
        if (!startKey) break;
      }
    } catch (error) {
      throw new DependencyError('The audit trail could not be read right now. Try again shortly.', 'dynamodb', error);
    }
    return { events, hasMore: startKey !== undefined, ...(cursor !== undefined ? { cursor } : {}) };
  }
}
