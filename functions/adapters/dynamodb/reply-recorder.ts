/**
 * ReplyRecorder on DynamoDB: the reply counter and the reply list live in the original message's
 * head. Each change is one conditional UpdateItem, never read-then-write: the limit is part of the
 * condition, so parallel replies cannot all see "one left".
 */
import { GetItemCommand, UpdateItemCommand, type AttributeValue, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { DependencyError } from '../../core/shared/index.ts';
import type { ReplyCount, ReplyRecorder } from '../../core/replies/index.ts';
import { isConditionFailure, key, mayHaveApplied, writeToken } from './table.ts';
import { recipientIndex } from './verification.ts';

/** The parts of a head this recorder reads. */
type Stored = {
  state?: string; expiresAt?: string; replyIds?: string[];
  recipients?: { rid?: string; replyWindowStart?: string; replies?: number; replyWrite?: string }[];
};

export class DynamoDbReplyRecorder implements ReplyRecorder {
  constructor(private readonly client: DynamoDBClient, private readonly tableName: string) {}

  async countReply(input: Parameters<ReplyRecorder['countReply']>[0]): Promise<ReplyCount> {
    const slot = `#r[${recipientIndex(input.rid)}]`;
    const now = input.now.toISOString();
    // ISO-8601 UTC strings of one format order like the instants they name.
    const floor = new Date(input.now.getTime() - input.windowMs).toISOString();
    // The reply's own token (writeToken): the SDK's retry of a count whose answer was lost cannot
    // count it twice, and a read after an unclear failure tells whether it was counted.
    const token = writeToken();
    const names = {
      '#r': 'recipients', '#rid': 'rid', '#n': 'replies', '#ws': 'replyWindowStart', '#state': 'state', '#expiresAt': 'expiresAt', '#write': 'replyWrite',
    };
    const available = `attribute_exists(pk) AND #state = :active AND #expiresAt > :now AND ${slot}.#rid = :rid AND (attribute_not_exists(${slot}.#write) OR ${slot}.#write <> :write)`;
    const base: Record<string, AttributeValue> = { ':active': { S: 'active' }, ':now': { S: now }, ':rid': { S: input.rid }, ':floor': { S: floor }, ':write': { S: token } };
    const isOurs = (head: Stored) => head.recipients?.[recipientIndex(input.rid)]?.replyWrite === token;

    const inWindow = () => this.update({
      UpdateExpression: `SET ${slot}.#n = ${slot}.#n + :one, ${slot}.#write = :write`,
      ConditionExpression: `${available} AND ${slot}.#ws > :floor AND ${slot}.#n < :limit`,
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: { ...base, ':one': { N: '1' }, ':limit': { N: String(input.limit) } },
    }, input.messageId, isOurs);
    const newWindow = () => this.update({
      UpdateExpression: `SET ${slot}.#n = :one, ${slot}.#ws = :now, ${slot}.#write = :write`,
      ConditionExpression: `${available} AND (attribute_not_exists(${slot}.#ws) OR ${slot}.#ws <= :floor)`,
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: { ...base, ':one': { N: '1' } },
    }, input.messageId, isOurs);

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
    // Appended once: the SDK's retry of an append whose answer was lost finds the id there.
    return this.update({
      UpdateExpression: 'SET #replyIds = list_append(if_not_exists(#replyIds, :empty), :id)',
      ConditionExpression: 'attribute_exists(pk) AND NOT contains(#replyIds, :replyId)',
      ExpressionAttributeNames: { '#replyIds': 'replyIds' },
      ExpressionAttributeValues: { ':empty': { L: [] }, ':id': { L: [{ S: replyId }] }, ':replyId': { S: replyId } },
    }, messageId, (head) => head.replyIds?.includes(replyId) === true);
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
    const head = item ? unmarshall(item) as Stored : undefined;
    if (!head || head.state !== 'active' || !(head.expiresAt !== undefined && head.expiresAt > now.toISOString())) return undefined;
    const recipient = head.recipients?.[recipientIndex(rid)];
    if (!recipient || recipient.rid !== rid) return undefined;
    return {
      ...(recipient.replyWindowStart !== undefined ? { windowStart: recipient.replyWindowStart } : {}),
      ...(recipient.replies !== undefined ? { replies: recipient.replies } : {}),
    };
  }

  /**
   * One conditional update of a head: true when it applied, false when its condition failed. A
   * failure that may have applied it (its answer lost, or the SDK's retry meeting the first
   * attempt) is checked by a read: a write `applied` recognises in the head counts as applied.
   */
  private async update(
    params: Pick<ConstructorParameters<typeof UpdateItemCommand>[0], 'UpdateExpression' | 'ConditionExpression' | 'ExpressionAttributeNames' | 'ExpressionAttributeValues'>,
    messageId: string,
    applied: (head: Stored) => boolean,
  ): Promise<boolean> {
    try {
      await this.client.send(new UpdateItemCommand({ TableName: this.tableName, Key: marshall(key.head(messageId)), ...params }));
      return true;
    } catch (error) {
      if (mayHaveApplied(error)) {
        const stored = await this.client.send(new GetItemCommand({ TableName: this.tableName, Key: marshall(key.head(messageId)), ConsistentRead: true })).then((r) => r.Item, () => undefined);
        if (stored && applied(unmarshall(stored) as Stored)) return true;
      }
      if (isConditionFailure(error)) return false;
      throw new DependencyError('The reply could not be recorded right now. Try again shortly.', 'dynamodb', error);
    }
  }
}
