/**
 * Message Center on DynamoDB: inbox entries, sign-in codes and sessions (InboxStore), and the two
 * writes of recovery grants on message heads (RecoveryStore). Item layout, in the one table:
 *
 *   INBOX#<tenantId>#<emailHash>    <createdAt>#<messageId>   messageId, rid, createdAt, expiresAt
 *   SIGNIN#<tenantId>#<emailHash>   SIGNIN                    codeHash?, codeExpiresAt?, sentAt, sends, sendWindowStart,
 *                                                             failures, failureWindowStart, lastFailureAt
 *   SESSION#<sha256(token)>         SESSION                   tenantId, email, createdAt, lastSeenAt, expiresAt
 *
 * `emailHash` = base64url(SHA-256(lower-case address)): partition keys name no address. Every item
 * has a TTL. Every state change is one conditional write; where a rule has two cases (a new window
 * or the current one) there are two writes, each conditional, never a read before a write.
 */
import {
  DeleteItemCommand, GetItemCommand, QueryCommand, UpdateItemCommand,
  type AttributeValue, type DynamoDBClient, type WriteRequest,
} from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { sha256Base64Url, DependencyError, MAX_EXPIRY_DAYS, addDays, ttlFor } from '../../core/shared/index.ts';
import {
  SIGN_IN_LIMITS, type InboxEntry, type InboxEntryInput, type InboxSession, type InboxStore, type IssueOutcome, type RecoveryStore,
  type RedeemOutcome, type SignInLimits,
} from '../../core/message-center/index.ts';
import type { RecoveryGrant } from '../../core/messages/index.ts';
import { PARTITION_PREFIX, TTL_ATTRIBUTE, batchWriteAll, isConditionFailure, key, mayHaveApplied, putIfAbsent, writeToken } from './table.ts';

/** Partition-key prefixes of Message Center items (for the table docs and the CDK grants). */
export const INBOX_PARTITION_PREFIX = { inbox: PARTITION_PREFIX.inbox, signIn: PARTITION_PREFIX.signIn, session: PARTITION_PREFIX.session } as const;

/** base64url SHA-256 of the lower-case address: how inbox keys name a recipient. */
export function inboxEmailHash(email: string): Promise<string> {
  return sha256Base64Url(email.trim().toLowerCase());
}

export const inboxKey = {
  entries: (tenantId: string, emailHash: string) => `${INBOX_PARTITION_PREFIX.inbox}${tenantId}#${emailHash}`,
  entry: (tenantId: string, emailHash: string, createdAt: string, messageId: string) =>
    ({ pk: inboxKey.entries(tenantId, emailHash), sk: `${createdAt}#${messageId}` }),
  signIn: (tenantId: string, emailHash: string) => ({ pk: `${INBOX_PARTITION_PREFIX.signIn}${tenantId}#${emailHash}`, sk: 'SIGNIN' }),
  session: (tokenHash: string) => ({ pk: `${INBOX_PARTITION_PREFIX.session}${tokenHash}`, sk: 'SESSION' }),
} as const;

/** Sign-in state outlives its longest window, so throttles and locks hold; then TTL removes it. */
const SIGN_IN_RETENTION_MS = 2 * 60 * 60_000;
const iso = (ms: number) => new Date(ms).toISOString();

/**
 * The items of inbox entries (what putEntries writes; the message store writes a Message Center
 * message's entries with its head, in one transaction).
 */
export async function inboxEntryItems(entries: readonly InboxEntryInput[]): Promise<Record<string, AttributeValue>[]> {
  return Promise.all(entries.map(async (e) => {
    // Kept until the longest lifetime any message can be extended to (PATCH expiry moves only the
    // head): listing reads each head and skips what has expired, so a longer TTL hides nothing.
    const ttl = ttlFor(new Date(Math.max(Date.parse(e.expiresAt), addDays(new Date(e.createdAt), MAX_EXPIRY_DAYS).getTime())));
    return {
      ...marshall({
        ...inboxKey.entry(e.tenantId, await inboxEmailHash(e.email), e.createdAt, e.messageId),
        messageId: e.messageId, rid: e.rid, createdAt: e.createdAt, expiresAt: e.expiresAt, type: 'inbox-entry',
      }),
      [TTL_ATTRIBUTE]: { N: String(ttl) },
    };
  }));
}

export class DynamoDbInboxStore implements InboxStore {
  constructor(private readonly client: DynamoDBClient, private readonly tableName: string) {}

  async putEntries(entries: readonly InboxEntryInput[]): Promise<void> {
    if (entries.length === 0) return;
    const requests: WriteRequest[] = (await inboxEntryItems(entries)).map((Item) => ({ PutRequest: { Item } }));
    try {
      await batchWriteAll(this.client, this.tableName, requests);
    } catch (error) {
      throw new DependencyError('The inbox entries could not be stored.', 'dynamodb', error);
    }
  }

  async listEntries(tenantId: string, email: string, limit: number): Promise<InboxEntry[]> {
    const pk = inboxKey.entries(tenantId, await inboxEmailHash(email));
    const { Items } = await this.read(() => this.client.send(new QueryCommand({
      TableName: this.tableName,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': { S: pk } },
      ScanIndexForward: false,
      ConsistentRead: true,
      Limit: limit,
    })));
    return (Items ?? []).map((item) => {
      const { messageId, rid, createdAt, expiresAt } = unmarshall(item) as InboxEntry;
      return { messageId, rid, createdAt, expiresAt };
    });
  }

  async issueCode(tenantId: string, email: string, codeHash: string, now: Date, limits: SignInLimits = SIGN_IN_LIMITS): Promise<IssueOutcome> {
    const k = inboxKey.signIn(tenantId, await inboxEmailHash(email));
    const t = now.getTime();
    const names = {
      '#code': 'codeHash', '#codeExp': 'codeExpiresAt', '#sentAt': 'sentAt', '#sends': 'sends', '#sendWin': 'sendWindowStart',
      '#failures': 'failures', '#lastFail': 'lastFailureAt', '#ttl': TTL_ATTRIBUTE,
    };
    const values: Record<string, AttributeValue> = {
      ':h': { S: codeHash }, ':exp': { S: iso(t + limits.codeTtlMs) }, ':now': { S: now.toISOString() }, ':one': { N: '1' },
      ':ttl': { N: String(ttlFor(new Date(t + SIGN_IN_RETENTION_MS))) }, ':sendFloor': { S: iso(t - limits.sendWindowMs) },
      ':resendFloor': { S: iso(t - limits.resendIntervalMs) }, ':maxS': { N: String(limits.maxSends) },
      ':maxF': { N: String(limits.maxFailures) }, ':lockFloor': { S: iso(t - limits.lockMs) },
    };
    const spaced = '(attribute_not_exists(#sentAt) OR #sentAt <= :resendFloor)';
    const notLocked = '(attribute_not_exists(#failures) OR #failures < :maxF OR #lastFail <= :lockFloor)';
    const set = 'SET #code = :h, #codeExp = :exp, #sentAt = :now, #ttl = :ttl';
    // The current hour's budget, or a new hour: two single conditional writes.
    // A code hash is new every time: finding it stored, this very write happened.
    const issued = (item: Record<string, unknown>) => item.codeHash === codeHash;
    const sameWindow = await this.conditional(k, `${set}, #sends = #sends + :one`, `#sendWin > :sendFloor AND #sends < :maxS AND ${spaced} AND ${notLocked}`, names, values, issued);
    if (sameWindow) return 'issued';
    const newWindow = await this.conditional(k, `${set}, #sends = :one, #sendWin = :now`, `(attribute_not_exists(#sendWin) OR #sendWin <= :sendFloor) AND ${spaced} AND ${notLocked}`, names, values, issued);
    return newWindow ? 'issued' : 'refused';
  }

  async redeemCode(tenantId: string, email: string, codeHash: string, now: Date, limits: SignInLimits = SIGN_IN_LIMITS): Promise<RedeemOutcome> {
    const k = inboxKey.signIn(tenantId, await inboxEmailHash(email));
    const t = now.getTime();
    const notLocked = '(attribute_not_exists(#failures) OR #failures < :maxF OR #lastFail <= :lockFloor)';
    const lockValues = { ':maxF': { N: String(limits.maxFailures) }, ':lockFloor': { S: iso(t - limits.lockMs) } };
    const ttl = { ':ttl': { N: String(ttlFor(new Date(t + SIGN_IN_RETENTION_MS))) } };
    // Single use: the matching code is removed by the same write that accepts it. The write's token
    // (writeToken) tells, after an unclear failure, whether it was this request that used the code.
    const token = writeToken();
    const used = await this.conditional(
      k, 'REMOVE #code, #codeExp SET #failures = :zero, #ttl = :ttl, #redeemed = :write', `#code = :h AND #codeExp > :now AND ${notLocked}`,
      { '#code': 'codeHash', '#codeExp': 'codeExpiresAt', '#failures': 'failures', '#lastFail': 'lastFailureAt', '#ttl': TTL_ATTRIBUTE, '#redeemed': 'redeemWrite' },
      { ':h': { S: codeHash }, ':now': { S: now.toISOString() }, ':zero': { N: '0' }, ':write': { S: token }, ...lockValues, ...ttl },
      (item) => item.redeemWrite === token,
    );
    if (used) return 'ok';

    // Count the failure. The limit is in the condition, so parallel guesses cannot all count as
    // "one more allowed"; once it is reached, nothing counts and nothing is accepted until the lock ends.
    const names = { '#failures': 'failures', '#failWin': 'failureWindowStart', '#lastFail': 'lastFailureAt', '#ttl': TTL_ATTRIBUTE };
    const values: Record<string, AttributeValue> = { ':now': { S: now.toISOString() }, ':one': { N: '1' }, ':failFloor': { S: iso(t - limits.failureWindowMs) }, ...lockValues, ...ttl };
    const inWindow = () => this.conditional(k, 'SET #failures = #failures + :one, #lastFail = :now, #ttl = :ttl', '#failWin > :failFloor AND #failures < :maxF', names, values, undefined, true);
    // A race with another guess that opened the window just now falls back to counting in it.
    const counted = (await inWindow())
      ?? (await this.conditional(k, 'SET #failures = :one, #failWin = :now, #lastFail = :now, #ttl = :ttl', `(attribute_not_exists(#failWin) OR #failWin <= :failFloor) AND ${notLocked}`, names, values, undefined, true))
      ?? (await inWindow());
    if (counted === undefined) return 'locked';
    return Number(counted.failures ?? 0) >= limits.maxFailures ? 'locked' : 'wrong';
  }

  async createSession(session: InboxSession): Promise<boolean> {
    const { tokenHash, ...rest } = session;
    try {
      return await putIfAbsent(this.client, this.tableName, {
        ...marshall({ ...inboxKey.session(tokenHash), ...rest, type: 'inbox-session' }), [TTL_ATTRIBUTE]: { N: String(ttlFor(new Date(session.expiresAt))) },
      });
    } catch (error) {
      throw new DependencyError('The session could not be stored. Try again shortly.', 'dynamodb', error);
    }
  }

  async getSession(tokenHash: string): Promise<InboxSession | undefined> {
    const { Item } = await this.read(() => this.client.send(new GetItemCommand({ TableName: this.tableName, Key: marshall(inboxKey.session(tokenHash)), ConsistentRead: true })));
    return Item ? toSession(tokenHash, Item) : undefined;
  }

  async touchSession(tokenHash: string, now: Date, idleFloor: Date): Promise<InboxSession | undefined> {
    try {
      const { Attributes } = await this.client.send(new UpdateItemCommand({
        TableName: this.tableName,
        Key: marshall(inboxKey.session(tokenHash)),
        UpdateExpression: 'SET #last = :now',
        ConditionExpression: 'attribute_exists(pk) AND #exp > :now AND #last > :idleFloor',
        ExpressionAttributeNames: { '#last': 'lastSeenAt', '#exp': 'expiresAt' },
        ExpressionAttributeValues: { ':now': { S: now.toISOString() }, ':idleFloor': { S: idleFloor.toISOString() } },
        ReturnValues: 'ALL_NEW',
      }));
      return Attributes ? toSession(tokenHash, Attributes) : undefined;
    } catch (error) {
      if (isConditionFailure(error)) return undefined;
      throw new DependencyError('The session could not be checked. Try again shortly.', 'dynamodb', error);
    }
  }

  async deleteSession(tokenHash: string): Promise<void> {
    try {
      await this.client.send(new DeleteItemCommand({ TableName: this.tableName, Key: marshall(inboxKey.session(tokenHash)) }));
    } catch (error) {
      throw new DependencyError('The session could not be ended. Try again.', 'dynamodb', error);
    }
  }

  /**
   * One conditional update of `k`: true (or, with `returnNew`, the updated attributes) when it
   * applied, false/undefined when its condition failed. With `own`, a failure that may have applied
   * the write (its answer lost, or the SDK's retry meeting the first attempt) is checked by a read:
   * a write `own` recognises in the stored item counts as applied.
   */
  private async conditional(k: { pk: string; sk: string }, update: string, condition: string, names: Record<string, string>, values: Record<string, AttributeValue>, own?: (item: Record<string, unknown>) => boolean): Promise<boolean>;
  private async conditional(k: { pk: string; sk: string }, update: string, condition: string, names: Record<string, string>, values: Record<string, AttributeValue>, own: undefined, returnNew: true): Promise<Record<string, unknown> | undefined>;
  private async conditional(k: { pk: string; sk: string }, update: string, condition: string, names: Record<string, string>, values: Record<string, AttributeValue>, own?: (item: Record<string, unknown>) => boolean, returnNew = false): Promise<boolean | Record<string, unknown> | undefined> {
    // DynamoDB refuses names and values that the expressions do not use.
    const used = `${update} ${condition}`;
    const appears = (token: string) => new RegExp(`${token}(?![A-Za-z0-9_])`).test(used);
    const usedNames = Object.fromEntries(Object.entries(names).filter(([n]) => appears(n)));
    const usedValues = Object.fromEntries(Object.entries(values).filter(([v]) => appears(v)));
    try {
      const { Attributes } = await this.client.send(new UpdateItemCommand({
        TableName: this.tableName,
        Key: marshall(k),
        UpdateExpression: update,
        ConditionExpression: condition,
        ExpressionAttributeNames: usedNames,
        ExpressionAttributeValues: usedValues,
        ...(returnNew ? { ReturnValues: 'ALL_NEW' as const } : {}),
      }));
      return returnNew ? unmarshall(Attributes ?? {}) : true;
    } catch (error) {
      if (own && mayHaveApplied(error)) {
        const stored = await this.client.send(new GetItemCommand({ TableName: this.tableName, Key: marshall(k), ConsistentRead: true })).then((r) => r.Item, () => undefined);
        if (stored && own(unmarshall(stored))) return true;
      }
      if (isConditionFailure(error)) return returnNew ? undefined : false;
      throw new DependencyError('The sign-in could not be recorded. Try again shortly.', 'dynamodb', error);
    }
  }

  private async read<T>(call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      throw new DependencyError('The inbox is not reachable right now. Try again shortly.', 'dynamodb', error);
    }
  }
}

function toSession(tokenHash: string, item: Record<string, AttributeValue>): InboxSession {
  const { tenantId, email, createdAt, lastSeenAt, expiresAt } = unmarshall(item) as Omit<InboxSession, 'tokenHash'>;
  return { tokenHash, tenantId, email, createdAt, lastSeenAt, expiresAt };
}

/** Recovery grants, written into the message head item (the message store owns the rest of it). */
export class DynamoDbRecoveryStore implements RecoveryStore {
  constructor(private readonly client: DynamoDBClient, private readonly tableName: string) {}

  async addRecovery(tenantId: string, messageId: string, grant: RecoveryGrant, now: Date, cap: number): Promise<boolean> {
    // The append's own token (writeToken), kept beside the list and named in the condition: the
    // SDK's retry of an append whose answer was lost cannot append the grant twice, and a read after
    // an unclear failure tells whether this grant was recorded (its link is then the admin's).
    const token = writeToken();
    try {
      await this.client.send(new UpdateItemCommand({
        TableName: this.tableName,
        Key: marshall(key.head(messageId)),
        UpdateExpression: 'SET #rec = list_append(if_not_exists(#rec, :empty), :grant), #recWrite = :write',
        // The cap is in the condition: two admins racing for the last slot cannot both get it.
        ConditionExpression: 'attribute_exists(pk) AND #tenantId = :tenantId AND #state = :active AND #exp > :now AND #custody = :mc AND (attribute_not_exists(#rec) OR size(#rec) < :cap) AND (attribute_not_exists(#recWrite) OR #recWrite <> :write)',
        ExpressionAttributeNames: { '#rec': 'recoveries', '#recWrite': 'recoveryWrite', '#tenantId': 'tenantId', '#state': 'state', '#exp': 'expiresAt', '#custody': 'custody' },
        ExpressionAttributeValues: {
          ':empty': { L: [] }, ':grant': { L: [{ M: marshall(grant, { removeUndefinedValues: true }) }] }, ':tenantId': { S: tenantId },
          ':active': { S: 'active' }, ':now': { S: now.toISOString() }, ':mc': { S: 'message-center' }, ':cap': { N: String(cap) }, ':write': { S: token },
        },
      }));
      return true;
    } catch (error) {
      if (mayHaveApplied(error)) {
        const stored = await this.client.send(new GetItemCommand({ TableName: this.tableName, Key: marshall(key.head(messageId)), ConsistentRead: true, ProjectionExpression: '#recWrite', ExpressionAttributeNames: { '#recWrite': 'recoveryWrite' } }))
          .then((r) => r.Item, () => undefined);
        if (stored?.recoveryWrite?.S === token) return true;
      }
      if (isConditionFailure(error)) return false;
      throw new DependencyError('The recovery link could not be recorded, so none was issued. Try again shortly.', 'dynamodb', error);
    }
  }

  async useRecovery(messageId: string, index: number, tokenHash: string, now: Date): Promise<boolean> {
    if (!Number.isInteger(index) || index < 0 || index > 99) return false;
    const slot = `#rec[${index}]`;
    // The use's own token (writeToken): after an unclear failure — the SDK's retry refused because the
    // first attempt had applied, or an answer lost — a consistent read tells whether this request
    // used the link, so a link is never spent without its holder getting the message.
    const token = writeToken();
    try {
      await this.client.send(new UpdateItemCommand({
        TableName: this.tableName,
        Key: marshall(key.head(messageId)),
        UpdateExpression: `SET ${slot}.#usedAt = :now, ${slot}.#useWrite = :write`,
        ConditionExpression: `attribute_exists(pk) AND #state = :active AND #exp > :now AND ${slot}.#tokenHash = :h AND attribute_not_exists(${slot}.#usedAt) AND ${slot}.#exp > :now`,
        ExpressionAttributeNames: { '#rec': 'recoveries', '#usedAt': 'usedAt', '#useWrite': 'useWrite', '#state': 'state', '#exp': 'expiresAt', '#tokenHash': 'tokenHash' },
        ExpressionAttributeValues: { ':now': { S: now.toISOString() }, ':active': { S: 'active' }, ':h': { S: tokenHash }, ':write': { S: token } },
      }));
      return true;
    } catch (error) {
      if (mayHaveApplied(error)) {
        const stored = await this.client.send(new GetItemCommand({ TableName: this.tableName, Key: marshall(key.head(messageId)), ConsistentRead: true, ProjectionExpression: '#rec', ExpressionAttributeNames: { '#rec': 'recoveries' } }))
          .then((r) => r.Item, () => undefined);
        const grants = stored ? (unmarshall(stored).recoveries as { useWrite?: string }[] | undefined) : undefined;
        if (grants?.[index]?.useWrite === token) return true;
      }
      if (isConditionFailure(error)) return false;
      throw new DependencyError('The recovery link could not be used right now. Try again shortly.', 'dynamodb', error);
    }
  }
}
