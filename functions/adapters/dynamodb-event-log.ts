/** EventLog on DynamoDB: events live beside their message, sorted by time, and outlive its ciphertext. */
import { createHash } from 'node:crypto';
import { QueryCommand, type AttributeValue, type DynamoDBClient, type WriteRequest } from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { DependencyError } from '../core/errors.ts';
import { EVENT_RETENTION_DAYS, addDays, ttlFor } from '../core/expiry.ts';
import type { MessageEvent, MessageEventType } from '../core/model.ts';
import type { EventLog, RandomBytes } from '../core/ports.ts';
import { toBase64Url } from '../core/encoding.ts';
import { TTL_ATTRIBUTE, batchWriteAll, key } from './dynamodb-table.ts';

const LIFECYCLE_ORDER: Record<MessageEventType, number> = {
  created: 0, notified: 1, notify_failed: 1, delivered: 2, bounced: 2, complained: 3, opened: 4, revoked: 5,
};

function stableSuffix(id: string): string {
  return createHash('sha256').update(id).digest('base64url').slice(0, 8);
}

export class DynamoDbEventLog implements EventLog {
  constructor(private readonly client: DynamoDBClient, private readonly tableName: string, private readonly random: RandomBytes) {}

  async append(events: readonly MessageEvent[]): Promise<void> {
    const requests: WriteRequest[] = events.map((event) => ({
      PutRequest: {
        Item: {
          ...marshall({
            ...event,
            pk: key.head(event.messageId).pk,
            // Events of the same millisecond sort by lifecycle stage, then by a suffix that keeps
            // them apart: a fast send must not list "notified" before "created". An event with an
            // id gets a suffix derived from it, so a repeat of it overwrites instead of duplicating.
            sk: `EVENT#${event.at}#${LIFECYCLE_ORDER[event.type]}#${event.id ? stableSuffix(event.id) : toBase64Url(this.random(6))}`,
            type: event.type,
          }, { removeUndefinedValues: true }),
          [TTL_ATTRIBUTE]: { N: String(ttlFor(addDays(new Date(event.at), EVENT_RETENTION_DAYS))) },
        },
      },
    }));
    try {
      await batchWriteAll(this.client, this.tableName, requests);
    } catch (error) {
      throw new DependencyError('The audit event could not be recorded.', 'dynamodb', error);
    }
  }

  async listForMessage(messageId: string): Promise<MessageEvent[]> {
    const events: MessageEvent[] = [];
    let startKey: Record<string, AttributeValue> | undefined;
    try {
      do {
        const page = await this.client.send(new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :event)',
          ExpressionAttributeValues: { ':pk': { S: key.head(messageId).pk }, ':event': { S: 'EVENT#' } },
          ExclusiveStartKey: startKey,
        }));
        for (const item of page.Items ?? []) {
          const { pk: _pk, sk: _sk, [TTL_ATTRIBUTE]: _ttl, ...event } = unmarshall(item);
          events.push(event as MessageEvent);
        }
        startKey = page.LastEvaluatedKey;
      } while (startKey);
    } catch (error) {
      throw new DependencyError('The message history could not be read right now. Try again shortly.', 'dynamodb', error);
    }
    return events;
  }
}
