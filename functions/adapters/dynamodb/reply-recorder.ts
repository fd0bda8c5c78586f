/**
 * ReplyRecorder on DynamoDB: the reply counter and the reply list live in the original message's
 * head. Each change is one conditional UpdateItem, never read-then-write: the limit is part of the
 * condition, so parallel replies cannot all see "one left".
 */
import { GetItemCommand, UpdateItemCommand, type AttributeValue, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { DependencyError } from '../../core/shared/index.ts';
import type { ReplyCount, ReplyRecorder } from '../../core/replies/index.ts';
import { isConditionFailure, key } from './table.ts';

/** A recipient's slot in the head's `recipients` list: `rN` is element N (as the message store numbers them). */
function recipientIndex(rid: string): number {
  const match = /^r(\d{1,3})$/.exec(rid);
  if (!match) throw new RangeError(`bad recipient reference ${rid}`);
  return Number(match[1]);
}

export class DynamoDbReplyRecorder implements ReplyRecorder {
  constructor(private readonly client: DynamoDBClient, private readonly tableName: string) {}

  async countReply(input: Parameters<ReplyRecorder['countReply']>[0]): Promise<ReplyCount> {
    const slot = `#r[${recipientIndex(input.rid)}]`;
    const now = input.now.toISOString();
    // ISO-8601 UTC strings of one format order like the instants they name.
    const floor = new Date(input.now.getTime() - input.windowMs).toISOString();
    const names = { '#r': 'recipients', '#rid': 'rid', '#n': 'replies', '#ws': 'replyWindowStart', '#state': 'state', '#expiresAt': 'expiresAt' };
    const available = `attribute_exists(pk) AND #state = :active AND #expiresAt > :now AND ${slot}.#rid = :rid`;
    const base: Record<string, AttributeValue> = { ':active': { S: 'active' }, ':now': { S: now }, ':rid': { S: input.rid }, ':floor': { S: floor } };

    const inWindow = () => this.update({
      UpdateExpression: `SET ${slot}.#n = ${slot}.#n + :one`,
      ConditionExpression: `${available} AND ${slot}.#ws > :floor AND ${slot}.#n < :limit`,
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: { ...base, ':one': { N: '1' }, ':limit': { N: String(input.limit) } },
    }, input.messageId);
    const newWindow = () => this.update({
      UpdateExpression: `SET ${slot}.#n = :one, ${slot}.#ws = :now`,
      ConditionExpression: `${available} AND (attribute_not_exists(${slot}.#ws) OR ${slot}.#ws <= :floor)`,
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: { ...base, ':one': { N: '1' } },
    }, input.messageId);

    // The two conditions exclude each other (the window is current or it is not), so at most one
    // applies; the hint only saves the first, failing write in the common case.
    const current = input.windowStart !== undefined && input.windowStart > floor;
    const counted = current ? (await inWindow()) || (await newWindow()) : (await newWindow()) || (await inWindow());
    if (counted) return { status: 'counted' };
    const state = await this.readRecipient(input.messageId, input.rid, input.now);
    if (!state) return { status: 'unavailable' };
    // A stale hint at a window's end: a parallel reply started the new window between our two
    // writes. The window has room, so the counting write (still conditional) gets one more try.
    if (state.windowStart !== undefined && state.windowStart > floor && (state.replies ?? 0) < input.limit && (await inWindow())) {
      return { status: 'counted' };
    }
    return { status: 'limited', ...(state.windowStart !== undefined ? { windowStart: state.windowStart } : {}) };
  }

  async addReply(messageId: string, replyId: string): Promise<boolean> {
    return this.update({
      UpdateExpression: 'SET #replyIds = list_append(if_not_exists(#replyIds, :empty), :id)',
      ConditionExpression: 'attribute_exists(pk)',
      ExpressionAttributeNames: { '#replyIds': 'replyIds' },
      ExpressionAttributeValues: { ':empty': { L: [] }, ':id': { L: [{ S: replyId }] } },
    }, messageId);
  }

  /**
   * After both writes failed, a read (never a write's precondition) tells why: the recipient's reply
   * window, or undefined when the message is no longer available.
   */
  private async readRecipient(messageId: string, rid: string, now: Date): Promise<{ windowStart?: string; replies?: number } | undefined> {
    let item: Record<string, AttributeValue> | undefined;
    try {
      ({ Item: item } = await this.client.send(new GetItemCommand({
        TableName: this.tableName,
        Key: marshall(key.head(messageId)),
        ConsistentRead: true,
        ProjectionExpression: '#state, #expiresAt, #r',
        ExpressionAttributeNames: { '#state': 'state', '#expiresAt': 'expiresAt', '#r': 'recipients' },
      })));
    } catch (error) {
      throw new DependencyError('The reply could not be recorded right now, so it was not sent. Try again shortly.', 'dynamodb', error);
    }
    type Stored = { state?: string; expiresAt?: string; recipients?: { rid?: string; replyWindowStart?: string; replies?: number }[] };
    const head = item ? unmarshall(item) as Stored : undefined;
    if (!head || head.state !== 'active' || !(head.expiresAt !== undefined && head.expiresAt > now.toISOString())) return undefined;
    const recipient = head.recipients?.[recipientIndex(rid)];
    if (!recipient || recipient.rid !== rid) return undefined;
    return {
      ...(recipient.replyWindowStart !== undefined ? { windowStart: recipient.replyWindowStart } : {}),
      ...(recipient.replies !== undefined ? { replies: recipient.replies } : {}),
    };
  }

  /** One conditional update of a head: true when it applied, false when its condition failed. */
  private async update(
    params: Pick<ConstructorParameters<typeof UpdateItemCommand>[0], 'UpdateExpression' | 'ConditionExpression' | 'ExpressionAttributeNames' | 'ExpressionAttributeValues'>,
    messageId: string,
  ): Promise<boolean> {
    try {
      await this.client.send(new UpdateItemCommand({ TableName: this.tableName, Key: marshall(key.head(messageId)), ...params }));
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw new DependencyError('The reply could not be recorded right now. Try again shortly.', 'dynamodb', error);
    }
  }
}
