/**
 * The verification writes on a message head (docs/protocol.md §9): issuing an email code within the
 * resend limits, counting a wrong answer, using up a code for a grant, and storing a grant. Each is
 * one UpdateItem whose condition carries the rule, so concurrent requests cannot together get past
 * a limit. DynamoDbMessageStore delegates to this class.
 */
import { GetItemCommand, UpdateItemCommand, type AttributeValue, type DynamoDBClient, type UpdateItemCommandInput } from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { DependencyError } from '../../core/shared/index.ts';
import type { VerificationLimits } from '../../core/pickup/index.ts';
import { isConditionFailure, key, mayHaveApplied } from './table.ts';

/** Recognises a write that stored `grant` (a grant hash is new every time). */
const granted = (rid: string, grant: { hash: string }) => ({ rid, applied: (r: Record<string, unknown>) => (r.grant as { hash?: string } | undefined)?.hash === grant.hash });

/** The index of a recipient in the head's list: `rN` is the N-th recipient. */
export function recipientIndex(rid: string): number {
  const match = /^r(\d{1,3})$/.exec(rid);
  if (!match) throw new RangeError(`bad recipient reference ${rid}`);
  return Number(match[1]);
}

/**
 * After a write on recipient `rid` of a head failed in a way that may have applied it
 * (mayHaveApplied), the recipient as stored now if `applied` recognises this very write in it (its
 * token, or a value only this write could have stored); undefined otherwise, or when the read fails.
 */
export async function ownRecipientWrite(
  client: DynamoDBClient, tableName: string, messageId: string, rid: string, applied: (recipient: Record<string, unknown>) => boolean,
): Promise<Record<string, unknown> | undefined> {
  const stored = await client.send(new GetItemCommand({
    TableName: tableName, Key: marshall(key.head(messageId)), ConsistentRead: true, ProjectionExpression: '#r', ExpressionAttributeNames: { '#r': 'recipients' },
  })).then((r) => r.Item, () => undefined);
  const recipient = (stored ? unmarshall(stored).recipients as Record<string, unknown>[] | undefined : undefined)?.[recipientIndex(rid)];
  return recipient?.rid === rid && applied(recipient) ? recipient : undefined;
}

export class DynamoDbVerificationWrites {
  constructor(private readonly client: DynamoDBClient, private readonly tableName: string) {}

  async issueCode(messageId: string, rid: string, code: { hash: string; expiresAt: string }, now: Date, limits: VerificationLimits): Promise<boolean> {
    const v = this.verificationParts(rid, now, limits);
    const slot = v.slot;
    const base = `${v.available} AND ${v.notLocked} AND (attribute_not_exists(${slot}.#code) OR ${slot}.#code.#sentAt <= :resendCutoff)`;
    const values = {
      ...v.values,
      ':code': { M: { hash: { S: code.hash }, expiresAt: { S: code.expiresAt }, sentAt: { S: now.toISOString() } } },
      ':resendCutoff': { S: new Date(now.getTime() - limits.resendIntervalMs).toISOString() },
      ':one': { N: '1' },
    };
    const names = { ...v.names, '#code': 'code', '#sentAt': 'sentAt', '#sends': 'codeSends', '#windowStart': 'codeWindowStart' };
    // A code hash is new every time: finding it stored, this very write happened.
    const issued = { rid, applied: (r: Record<string, unknown>) => (r.code as { hash?: string } | undefined)?.hash === code.hash };
    // Two single conditional writes, like recordOpen: the first starts a new send window (none yet,
    // or the last one is over); otherwise the second counts the send within the current window.
    const fresh = await this.update(messageId, {
      UpdateExpression: `SET ${slot}.#code = :code, ${slot}.#sends = :one, ${slot}.#windowStart = :now`,
      ConditionExpression: `${base} AND (attribute_not_exists(${slot}.#windowStart) OR ${slot}.#windowStart <= :windowCutoff)`,
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: { ...values, ':windowCutoff': { S: new Date(now.getTime() - limits.sendWindowMs).toISOString() } },
    }, issued);
    if (fresh) return true;
    return (await this.update(messageId, {
      UpdateExpression: `SET ${slot}.#code = :code, ${slot}.#sends = ${slot}.#sends + :one`,
      ConditionExpression: `${base} AND ${slot}.#sends < :maxSends`,
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: { ...values, ':maxSends': { N: String(limits.maxSends) } },
    }, issued)) !== undefined;
  }

  async recordFailure(messageId: string, rid: string, now: Date, limits: VerificationLimits): Promise<number | undefined> {
    const v = this.verificationParts(rid, now, limits);
    const slot = v.slot;
    // A first failure, or the first after the last one has aged out of the lock window: start at 1.
    const reset = await this.update(messageId, {
      UpdateExpression: `SET ${slot}.#failures = :one, ${slot}.#lastFailureAt = :now`,
      ConditionExpression: `${v.available} AND (attribute_not_exists(${slot}.#failures) OR ${slot}.#lastFailureAt <= :lockCutoff)`,
      ExpressionAttributeNames: v.names,
      ExpressionAttributeValues: { ...v.values, ':one': { N: '1' } },
    });
    if (reset) return 1;
    // Otherwise count on, but never past the limit: a locked recipient's guesses are not answered.
    const counted = await this.update(messageId, {
      UpdateExpression: `SET ${slot}.#failures = ${slot}.#failures + :one, ${slot}.#lastFailureAt = :now`,
      ConditionExpression: `${v.available} AND ${slot}.#failures < :maxFailures`,
      ExpressionAttributeNames: v.names,
      ExpressionAttributeValues: { ...v.values, ':one': { N: '1' } },
      ReturnValues: 'ALL_NEW',
    });
    if (!counted) return undefined;
    const recipients = (unmarshall(counted).recipients ?? []) as { rid: string; failures?: number }[];
    return recipients.find((r) => r.rid === rid)?.failures ?? limits.maxFailures;
  }

  async consumeCode(messageId: string, rid: string, codeHash: string, grant: { hash: string; expiresAt: string }, now: Date, limits: VerificationLimits): Promise<boolean> {
    const v = this.verificationParts(rid, now, limits);
    const slot = v.slot;
    // Conditional on the very code hash that was compared: of parallel right answers, one wins.
    return (await this.update(messageId, {
      UpdateExpression: `SET ${slot}.#failures = :zero, ${slot}.#grant = :grant REMOVE ${slot}.#code`,
      ConditionExpression: `${v.available} AND ${v.notLocked} AND ${slot}.#code.#hash = :codeHash AND ${slot}.#code.#codeExpiresAt > :now`,
      ExpressionAttributeNames: { ...v.names, '#code': 'code', '#hash': 'hash', '#codeExpiresAt': 'expiresAt', '#grant': 'grant' },
      ExpressionAttributeValues: {
        ...v.values, ':zero': { N: '0' }, ':codeHash': { S: codeHash },
        ':grant': { M: { hash: { S: grant.hash }, expiresAt: { S: grant.expiresAt } } },
      },
    }, granted(rid, grant))) !== undefined;
  }

  async storeGrant(messageId: string, rid: string, grant: { hash: string; expiresAt: string }, now: Date): Promise<boolean> {
    const slot = `#r[${recipientIndex(rid)}]`;
    return (await this.update(messageId, {
      UpdateExpression: `SET ${slot}.#grant = :grant`,
      ConditionExpression: `#state = :active AND #expiresAt > :now AND ${slot}.#rid = :rid`,
      ExpressionAttributeNames: { '#r': 'recipients', '#rid': 'rid', '#state': 'state', '#expiresAt': 'expiresAt', '#grant': 'grant' },
      ExpressionAttributeValues: {
        ':active': { S: 'active' }, ':now': { S: now.toISOString() }, ':rid': { S: rid },
        ':grant': { M: { hash: { S: grant.hash }, expiresAt: { S: grant.expiresAt } } },
      },
    }, granted(rid, grant))) !== undefined;
  }

  async confirmUnlocked(messageId: string, rid: string, now: Date, limits: VerificationLimits): Promise<boolean> {
    const v = this.verificationParts(rid, now, limits);
    return (await this.update(messageId, {
      UpdateExpression: `SET ${v.slot}.#passcodeOkAt = :now`,
      ConditionExpression: `${v.available} AND ${v.notLocked}`,
      ExpressionAttributeNames: { ...v.names, '#passcodeOkAt': 'passcodeOkAt' },
      ExpressionAttributeValues: v.values,
    }, { rid, applied: (r) => r.passcodeOkAt === now.toISOString() })) !== undefined;
  }

  /** The shared pieces of the verification conditions: availability, the rid check and "not locked". */
  private verificationParts(rid: string, now: Date, limits: VerificationLimits) {
    const slot = `#r[${recipientIndex(rid)}]`;
    return {
      slot,
      available: `#state = :active AND #expiresAt > :now AND ${slot}.#rid = :rid`,
      // ISO-8601 UTC strings of one format order like the instants they name.
      notLocked: `(attribute_not_exists(${slot}.#failures) OR ${slot}.#failures < :maxFailures OR ${slot}.#lastFailureAt <= :lockCutoff)`,
      names: { '#r': 'recipients', '#rid': 'rid', '#state': 'state', '#expiresAt': 'expiresAt', '#failures': 'failures', '#lastFailureAt': 'lastFailureAt' },
      values: {
        ':active': { S: 'active' }, ':now': { S: now.toISOString() }, ':rid': { S: rid },
        ':maxFailures': { N: String(limits.maxFailures) }, ':lockCutoff': { S: new Date(now.getTime() - limits.lockMs).toISOString() },
      } as Record<string, AttributeValue>,
    };
  }

  /**
   * One conditional UpdateItem of a head. Resolves with the new item (empty unless ALL_NEW is asked
   * for) when it was written, undefined when its condition failed. With `own`, a failure that may
   * have applied the write (its answer lost, or the SDK's retry meeting the first attempt) is
   * checked by a read: a write `own.applied` recognises counts as written.
   */
  private async update(
    messageId: string,
    input: Pick<UpdateItemCommandInput, 'UpdateExpression' | 'ConditionExpression' | 'ExpressionAttributeNames' | 'ExpressionAttributeValues' | 'ReturnValues'>,
    own?: { rid: string; applied: (recipient: Record<string, unknown>) => boolean },
  ): Promise<Record<string, AttributeValue> | undefined> {
    // DynamoDB rejects expression attribute names and values that the expressions do not use.
    const used = `${input.UpdateExpression} ${input.ConditionExpression}`;
    const pick = <V>(map: Record<string, V> | undefined) => Object.fromEntries(Object.entries(map ?? {}).filter(([k]) => new RegExp(`${k}(?![A-Za-z0-9_])`).test(used)));
    try {
      const { Attributes } = await this.client.send(new UpdateItemCommand({
        TableName: this.tableName,
        Key: marshall(key.head(messageId)),
        ...input,
        ExpressionAttributeNames: pick(input.ExpressionAttributeNames),
        ExpressionAttributeValues: pick(input.ExpressionAttributeValues),
      }));
      return Attributes ?? {};
    } catch (error) {
      if (own && mayHaveApplied(error) && await ownRecipientWrite(this.client, this.tableName, messageId, own.rid, own.applied)) return {};
      if (isConditionFailure(error)) return undefined;
      throw new DependencyError('The message store could not record the change. Try again shortly.', 'dynamodb', error);
    }
  }
}
