/**
 * MessageStore (and pickup's PickupStore: the same head item) on DynamoDB. A state change and the
 * audit event that records it are one write: a TransactWriteItems (docs/protocol.md §7.3) — a new
 * message's chunk, head and `created` event; the delivery outcomes and their events; an open, its
 * tenant's check and its event. A message of more than one chunk writes its chunks first (a
 * transaction holds at most 4 MB), then the head with its events — the commit point. Readers start
 * from the head, so orphaned chunks (a crash between the two) are invisible and expire by TTL.
 *
 * The ciphertext always lives in chunk items, never in the head: the head is updated on every
 * delivery and open, and DynamoDB bills a write by the size of the whole item (and the head is in
 * two indexes that project every attribute).
 */
import {
  BatchGetItemCommand, GetItemCommand, QueryCommand, UpdateItemCommand,
  type AttributeValue, type DynamoDBClient, type TransactWriteItem, type WriteRequest,
} from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { DependencyError, HEAD_GRACE_DAYS, addDays, concatBytes, ttlFor } from '../../core/shared/index.ts';
import type { MessageHead, MessageStore, NewMessageHead, TenantRead } from '../../core/messages/index.ts';
import type { OpenAudit, PickupStore, VerificationLimits } from '../../core/pickup/index.ts';
import type { AuditEvent } from '../../core/audit/index.ts';
import { inboxEntries } from '../../core/message-center/index.ts';
import { inboxEntryItems } from './inbox-store.ts';
import { toTenant } from './tenant-directory.ts';
import {
  INDEX, INDEX_PARTITION, MAX_TRANSACTION_ITEMS, TTL_ATTRIBUTE, batchWriteAll, isConditionFailure, key, mayHaveApplied, putIfAbsent, sameItem, transactWrite, writeToken,
} from './table.ts';
import { DynamoDbVerificationWrites, ownRecipientWrite, recipientIndex } from './verification.ts';

/** Index attributes of a head: the tenant's message list (gsi1) and, while active, the expiry queue (gsi2). */
function headIndexes(head: Pick<MessageHead, 'id' | 'tenantId' | 'createdAt' | 'expiresAt'>) {
  return {
    [INDEX.byTenant.partitionKey]: INDEX_PARTITION.messages(head.tenantId),
    [INDEX.byTenant.sortKey]: `${head.createdAt}#${head.id}`,
    [INDEX.queue.partitionKey]: INDEX_PARTITION.expiring,
    [INDEX.queue.sortKey]: `${head.expiresAt}#${head.id}`,
  };
}

function headTtl(expiresAt: string): number {
  // The head outlives the ciphertext so a sender can still see what happened to an expired message.
  return ttlFor(addDays(new Date(expiresAt), HEAD_GRACE_DAYS));
}

function fromHeadItem(item: Record<string, AttributeValue>): MessageHead {
  const { pk: _pk, sk: _sk, type: _type, [TTL_ATTRIBUTE]: _ttl, gsi1pk: _a, gsi1sk: _b, gsi2pk: _c, gsi2sk: _d, ...head } = unmarshall(item);
  return head as MessageHead;
}

/** 300 KB: well under DynamoDB's 400 KB item limit, including key and attribute names. */
export const CHUNK_BYTES = 300 * 1000;
/** 10 chunks = 3 MB per pickup response: 4 MB once Lambda base64-encodes it, under its 6 MB cap. */
export const CHUNKS_PER_PART = 10;
const WRITE_CONCURRENCY = 4;
/** How many tries an open makes when another open of the same recipient changed the count it read. */
const OPEN_TRIES = 5;

/** What the event log stores events as (event-log.ts DynamoDbEventLog.items): written here in the same transaction. */
export interface EventItems {
  items(events: readonly AuditEvent[]): { hasSourceId: boolean; item: Record<string, AttributeValue> }[];
}

const putNew = (tableName: string, item: Record<string, AttributeValue>): TransactWriteItem =>
  ({ Put: { TableName: tableName, Item: item, ConditionExpression: 'attribute_not_exists(pk)' } });

export class DynamoDbMessageStore implements MessageStore, PickupStore {
  private readonly verification: DynamoDbVerificationWrites;

  /** `events`: without it, a write that carries events is refused (an adapter test that needs none). */
  constructor(private readonly client: DynamoDBClient, private readonly tableName: string, private readonly events?: EventItems) {
    this.verification = new DynamoDbVerificationWrites(client, tableName);
  }

  private eventPuts(events: readonly AuditEvent[]): TransactWriteItem[] {
    if (events.length === 0) return [];
    if (!this.events) throw new Error('this message store was not given the event log\'s items');
    // Every event item is new (its key carries a random or source-derived suffix): put only if absent.
    return this.events.items(events).map(({ item }) => putNew(this.tableName, item));
  }

  async create(head: NewMessageHead, ciphertext?: Uint8Array, events: readonly AuditEvent[] = []): Promise<void> {
    // A sealed upload's ciphertext is in the blob store already: only its head is written here.
    if (head.blob ? ciphertext !== undefined : ciphertext === undefined) throw new RangeError('a head has its ciphertext either in chunks or in the blob store');
    const bytes = ciphertext ?? new Uint8Array(0);
    const chunkCount = head.blob ? 0 : Math.max(1, Math.ceil(bytes.length / CHUNK_BYTES));
    const chunkTtl = ttlFor(new Date(head.expiresAt));
    const chunkItem = (index: number): Record<string, AttributeValue> => ({
      ...marshall(key.chunk(head.id, index)),
      data: { B: bytes.subarray(index * CHUNK_BYTES, (index + 1) * CHUNK_BYTES) },
      [TTL_ATTRIBUTE]: { N: String(chunkTtl) },
    });
    const ciphertextBytes = head.blob ? head.blob.parts.reduce((sum, n) => sum + n, 0) : bytes.length;
    const stored: MessageHead = { ...head, chunkCount, ciphertextBytes };
    const headItem = {
      ...marshall({ ...stored, ...key.head(head.id), type: 'message', ...headIndexes(head) }, { removeUndefinedValues: true }),
      [TTL_ATTRIBUTE]: { N: String(headTtl(head.expiresAt)) },
    };
    // Each put is "if absent": an id that exists is never overwritten, and a put whose answer was
    // lost but which did land (putIfAbsent reads it back) counts as done, not as a collision.
    const put = async (item: Record<string, AttributeValue>) => {
      if (!(await putIfAbsent(this.client, this.tableName, item))) throw new Error(`${item.pk?.S}/${item.sk?.S} exists`);
    };
    try {
      // A Message Center message is listed in its recipients' inboxes by the same write; beyond the
      // transaction's size, its entries are written first, like its chunks (an inbox lists a message
      // only once its head exists, so entries without a head show nothing and expire by TTL).
      const listing = await inboxEntryItems(inboxEntries(head));
      const listed = listing.length + events.length + 2 <= MAX_TRANSACTION_ITEMS ? listing : [];
      if (listed.length < listing.length || events.length === 0) {
        await batchWriteAll(this.client, this.tableName, listing.map((Item) => ({ PutRequest: { Item } })));
      }
      const eventPuts = events.length === 0 ? [] : [...this.eventPuts(events), ...listed.map((item) => ({ Put: { TableName: this.tableName, Item: item } }))];
      // One chunk goes into the commit's transaction; more are written first (a transaction holds
      // at most 4 MB), one by one.
      const inCommit = chunkCount === 1 && eventPuts.length > 0 ? 1 : 0;
      for (let i = inCommit; i < chunkCount; i += WRITE_CONCURRENCY) {
        await Promise.all(Array.from({ length: Math.min(WRITE_CONCURRENCY, chunkCount - i) }, (_, j) => put(chunkItem(i + j))));
      }
      if (eventPuts.length === 0) {
        await put(headItem);
        return;
      }
      const commit = [...(inCommit ? [putNew(this.tableName, chunkItem(0))] : []), putNew(this.tableName, headItem), ...eventPuts];
      try {
        const refused = await transactWrite(this.client, commit);
        if (refused) throw new Error(`message ${head.id} exists`);
      } catch (error) {
        // A commit whose every answer was lost may have landed: the head as we wrote it says so.
        if (!(mayHaveApplied(error) && (await this.sameHead(headItem)))) throw error;
      }
    } catch (error) {
      throw new DependencyError('The message could not be stored, so nothing was sent. It is safe to retry.', 'dynamodb', error);
    }
  }

  /** Whether the stored head is the very item `item` (a read after an unclear write). */
  private async sameHead(item: Record<string, AttributeValue>): Promise<boolean> {
    const { Item } = await this.client.send(new GetItemCommand({ TableName: this.tableName, Key: { pk: item.pk as AttributeValue, sk: item.sk as AttributeValue }, ConsistentRead: true }))
      .catch(() => ({ Item: undefined }));
    return Item !== undefined && sameItem(Item, item);
  }

  async readForOpen(messageId: string, tenantId?: string): Promise<{ head?: MessageHead; firstPart?: Uint8Array; tenant?: TenantRead }> {
    // The head and the first chunk in one request: for a message of one chunk, that is all an open
    // reads — with the tenant the page named, the tenant too (a hint: the caller checks it is the head's).
    const headKey = key.head(messageId);
    const chunkKey = key.chunk(messageId, 0);
    const tenantKey = tenantId === undefined ? undefined : key.tenant(tenantId);
    const keys = [marshall(headKey), marshall(chunkKey), ...(tenantKey ? [marshall(tenantKey)] : [])];
    const { Responses, UnprocessedKeys } = await this.read(() => this.client.send(new BatchGetItemCommand({
      RequestItems: { [this.tableName]: { Keys: keys, ConsistentRead: true } },
    })));
    const items = Responses?.[this.tableName] ?? [];
    const unprocessed = UnprocessedKeys?.[this.tableName]?.Keys ?? [];
    const is = (wanted: { pk: string; sk: string }) => (item: Record<string, AttributeValue>) => item.pk?.S === wanted.pk && item.sk?.S === wanted.sk;
    const headItem = items.find(is(headKey));
    // A key left unprocessed (throttling) is read again the plain way; a tenant left so, by the caller.
    if (!headItem && unprocessed.some(is(headKey))) {
      const head = await this.getHead(messageId);
      return head ? { head } : {};
    }
    if (!headItem) return {};
    const head = fromHeadItem(headItem);
    let tenant: { tenant?: TenantRead } = {};
    if (tenantId !== undefined && tenantKey && !unprocessed.some(is(tenantKey))) {
      const item = items.find(is(tenantKey));
      tenant = { tenant: { id: tenantId, value: item ? toTenant(unmarshall(item)) : undefined } };
    }
    const chunk = items.find(is(chunkKey))?.data?.B;
    return head.chunkCount === 1 && chunk && chunk.length === head.ciphertextBytes ? { head, firstPart: chunk, ...tenant } : { head, ...tenant };
  }

  async getHead(messageId: string): Promise<MessageHead | undefined> {
    const { Item } = await this.read(() => this.client.send(new GetItemCommand({ TableName: this.tableName, Key: marshall(key.head(messageId)), ConsistentRead: true })));
    return Item ? fromHeadItem(Item) : undefined;
  }

  partCount(head: MessageHead): number {
    return Math.max(1, Math.ceil(head.chunkCount / CHUNKS_PER_PART));
  }

  async readPart(head: MessageHead, index: number): Promise<Uint8Array> {
    const first = index * CHUNKS_PER_PART;
    const last = Math.min(head.chunkCount, first + CHUNKS_PER_PART) - 1;
    const parts: Uint8Array[] = [];
    let startKey: Record<string, AttributeValue> | undefined;
    do {
      const page = await this.read(() => this.client.send(new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk AND sk BETWEEN :first AND :last',
        ExpressionAttributeValues: {
          ':pk': { S: key.head(head.id).pk }, ':first': { S: key.chunk(head.id, first).sk }, ':last': { S: key.chunk(head.id, last).sk },
        },
        ConsistentRead: true,
        ExclusiveStartKey: startKey,
      })));
      for (const item of page.Items ?? []) {
        if (item.data?.B) parts.push(item.data.B);
      }
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    const expectedBytes = Math.min(head.ciphertextBytes, (last + 1) * CHUNK_BYTES) - first * CHUNK_BYTES;
    const total = parts.reduce((sum, p) => sum + p.length, 0);
    if (parts.length !== last - first + 1 || total !== expectedBytes) {
      throw new Error(`ciphertext incomplete: part ${index} has ${parts.length}/${last - first + 1} chunks, ${total}/${expectedBytes} bytes`);
    }
    return concatBytes(parts);
  }

  async recordDelivery(
    messageId: string, outcomes: readonly { rid: string; status: 'notified' | 'failed' | 'sender'; reason?: string; at: string }[], events: readonly AuditEvent[] = [],
  ): Promise<void> {
    if (outcomes.length === 0 && events.length === 0) return;
    const sets: string[] = [];
    const values: Record<string, AttributeValue> = {};
    // DynamoDB rejects expression attribute names that the expression does not use.
    const names: Record<string, string> = { '#r': 'recipients', '#status': 'status' };
    outcomes.forEach((outcome, i) => {
      const slot = `#r[${recipientIndex(outcome.rid)}]`;
      sets.push(`${slot}.#status = :s${i}`);
      values[`:s${i}`] = { S: outcome.status };
      if (outcome.status === 'notified') {
        names['#notifiedAt'] = 'notifiedAt';
        sets.push(`${slot}.#notifiedAt = :a${i}`);
        values[`:a${i}`] = { S: outcome.at };
      } else if (outcome.status === 'failed') {
        names['#failureReason'] = 'failureReason';
        sets.push(`${slot}.#failureReason = :f${i}`);
        values[`:f${i}`] = { S: outcome.reason ?? 'rejected' };
      }
    });
    const update = {
      TableName: this.tableName,
      Key: marshall(key.head(messageId)),
      UpdateExpression: `SET ${sets.join(', ')}`,
      ConditionExpression: 'attribute_exists(pk)',
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
    };
    const eventPuts = this.eventPuts(events);
    // The outcomes and their events together (one transaction, up to its size; beyond, the events
    // in transactions of their own after the outcomes).
    const first = [...(outcomes.length > 0 ? [{ Update: update }] : []), ...eventPuts].slice(0, MAX_TRANSACTION_ITEMS);
    const rest = eventPuts.slice(first.length - (outcomes.length > 0 ? 1 : 0));
    await this.write(async () => {
      if (first.length === 1 && first[0]?.Update) {
        await this.client.send(new UpdateItemCommand(update));
      } else if (await transactWrite(this.client, first)) {
        throw new Error(`message ${messageId} has no head`);
      }
      for (let i = 0; i < rest.length; i += MAX_TRANSACTION_ITEMS) {
        if (await transactWrite(this.client, rest.slice(i, i + MAX_TRANSACTION_ITEMS))) throw new Error('an event exists');
      }
    });
  }

  recordOpen(messageId: string, rid: string, now: Date, window: string, maxViews: number | undefined, audit: OpenAudit): Promise<{ newWindow: boolean; views: number } | undefined> {
    return this.recordAuditedOpen(messageId, rid, now, window, maxViews, audit);
  }

  /**
   * An open counted and its event recorded in one transaction. The count is
   * conditional on the one the caller read (`audit.expected`), so the view number — and with it the
   * event — is exact; when another open got in between, the refusal carries the head as it is now,
   * and the open is tried again on that, without another read.
   */
  private async recordAuditedOpen(messageId: string, rid: string, now: Date, window: string, maxViews: number | undefined, audit: OpenAudit): Promise<{ newWindow: boolean; views: number } | undefined> {
    const slot = `#r[${recipientIndex(rid)}]`;
    let expected = audit.expected;
    for (let attempt = 0; attempt < OPEN_TRIES; attempt++) {
      const views = expected.opens + 1;
      if (maxViews !== undefined && views > maxViews) return undefined;
      const newWindow = expected.lastOpenWindow !== window;
      const token = writeToken();
      const names: Record<string, string> = {
        '#r': 'recipients', '#opens': 'opens', '#first': 'firstOpenedAt', '#last': 'lastOpenedAt', '#state': 'state', '#expiresAt': 'expiresAt',
        '#write': 'openWrite', '#window': 'lastOpenWindow',
      };
      const values: Record<string, AttributeValue> = {
        ':one': { N: '1' }, ':now': { S: now.toISOString() }, ':active': { S: 'active' }, ':write': { S: token }, ':seen': { N: String(expected.opens) },
        ':window': { S: window },
      };
      const event = audit.event(views, newWindow);
      const commit: TransactWriteItem[] = [
        {
          Update: {
            TableName: this.tableName,
            Key: marshall(key.head(messageId)),
            UpdateExpression: `SET ${slot}.#opens = ${slot}.#opens + :one, ${slot}.#first = if_not_exists(${slot}.#first, :now), ${slot}.#last = :now, ${slot}.#write = :write, ${slot}.#window = :window`,
            // The count the caller read: nobody opened in between (the view limit and the window follow from it).
            ConditionExpression: `#state = :active AND #expiresAt > :now AND ${slot}.#opens = :seen`,
            ExpressionAttributeNames: names,
            ExpressionAttributeValues: values,
          },
        },
        ...this.eventPuts(event ? [event] : []),
      ];
      let refused: Awaited<ReturnType<typeof transactWrite>>;
      try {
        refused = await transactWrite(this.client, commit);
      } catch (error) {
        const counted = mayHaveApplied(error) ? await ownRecipientWrite(this.client, this.tableName, messageId, rid, (r) => r.openWrite === token) : undefined;
        if (counted) return { newWindow, views };
        throw new DependencyError('The message could not be opened right now. Try again shortly.', 'dynamodb', error);
      }
      if (!refused) return { newWindow, views };
      if (refused.index !== 0 || !refused.old) return undefined;
      const head = fromHeadItem(refused.old);
      const recipient = head.recipients.find((r) => r.rid === rid);
      // Our own write, landed on an earlier try whose answer was lost: counted once, not again.
      if ((recipient as { openWrite?: string } | undefined)?.openWrite === token) return { newWindow, views };
      if (!recipient || head.state !== 'active' || head.expiresAt <= now.toISOString() || recipient.opens === expected.opens) return undefined;
      expected = { opens: recipient.opens, ...(recipient.lastOpenWindow !== undefined ? { lastOpenWindow: recipient.lastOpenWindow } : {}) };
    }
    throw new DependencyError('The message is being opened too often at once. Try again shortly.', 'dynamodb');
  }

  async revoke(tenantId: string, messageId: string, now: Date): Promise<{ chunkCount: number } | undefined> {
    try {
      const { Attributes } = await this.client.send(new UpdateItemCommand({
        TableName: this.tableName,
        Key: marshall(key.head(messageId)),
        // Leaves the expiry queue: a revoked message never becomes "expired".
        UpdateExpression: 'SET #state = :revoked, #revokedAt = :now REMOVE #q',
        ConditionExpression: 'attribute_exists(pk) AND #tenantId = :tenantId AND #state = :active',
        ExpressionAttributeNames: { '#state': 'state', '#revokedAt': 'revokedAt', '#tenantId': 'tenantId', '#q': INDEX.queue.partitionKey },
        ExpressionAttributeValues: { ':revoked': { S: 'revoked' }, ':active': { S: 'active' }, ':now': { S: now.toISOString() }, ':tenantId': { S: tenantId } },
        ReturnValues: 'ALL_NEW',
      }));
      return { chunkCount: Number(Attributes?.chunkCount?.N ?? 0) };
    } catch (error) {
      if (isConditionFailure(error)) return undefined;
      throw new DependencyError('The message could not be revoked. Nothing changed; retry.', 'dynamodb', error);
    }
  }

  async deleteChunks(messageId: string, chunkCount: number): Promise<void> {
    const requests: WriteRequest[] = Array.from({ length: chunkCount }, (_, i) => ({ DeleteRequest: { Key: marshall(key.chunk(messageId, i)) } }));
    try {
      await batchWriteAll(this.client, this.tableName, requests);
    } catch (error) {
      throw new DependencyError('The message was revoked, but its stored ciphertext could not all be deleted yet. Retry the DELETE.', 'dynamodb', error);
    }
  }

  async listForTenant(tenantId: string, query: { before?: string; limit: number }): Promise<{ heads: MessageHead[]; cursor?: string }> {
    const g = INDEX.byTenant;
    const page = await this.read(() => this.client.send(new QueryCommand({
      TableName: this.tableName,
      IndexName: g.name,
      KeyConditionExpression: query.before !== undefined ? '#p = :p AND #s < :before' : '#p = :p',
      ExpressionAttributeNames: { '#p': g.partitionKey, ...(query.before !== undefined ? { '#s': g.sortKey } : {}) },
      ExpressionAttributeValues: { ':p': { S: INDEX_PARTITION.messages(tenantId) }, ...(query.before !== undefined ? { ':before': { S: query.before } } : {}) },
      ScanIndexForward: false,
      Limit: query.limit,
    })));
    const heads = (page.Items ?? []).map(fromHeadItem);
    const cursor = page.LastEvaluatedKey?.[g.sortKey]?.S;
    return { heads, ...(cursor !== undefined ? { cursor } : {}) };
  }

  async setExpiry(tenantId: string, messageId: string, expiresAt: Date, now: Date): Promise<boolean> {
    const head = await this.getHead(messageId);
    if (!head || head.tenantId !== tenantId) return false;
    const iso = expiresAt.toISOString();
    const extending = iso > head.expiresAt;
    // The ciphertext's TTL must never fall before the head's expiry: when extending, move the chunks
    // first (a failure leaves the message as it was); when shortening, the head first (the chunks
    // are then merely deleted later than they could be, and reads go by the head).
    if (extending) await this.setChunkTtl(head, iso);
    const updated = await this.write(async () => {
      try {
        await this.client.send(new UpdateItemCommand({
          TableName: this.tableName,
          Key: marshall(key.head(messageId)),
          UpdateExpression: 'SET #expiresAt = :new, #ttl = :ttl, #qs = :qs',
          // Also conditional on the expiry we read, so two concurrent changes cannot cross their chunk updates.
          ConditionExpression: 'attribute_exists(pk) AND #tenantId = :tenantId AND #state = :active AND #expiresAt > :now AND #expiresAt = :old',
          ExpressionAttributeNames: { '#expiresAt': 'expiresAt', '#ttl': TTL_ATTRIBUTE, '#qs': INDEX.queue.sortKey, '#tenantId': 'tenantId', '#state': 'state' },
          ExpressionAttributeValues: {
            ':new': { S: iso }, ':ttl': { N: String(headTtl(iso)) }, ':qs': { S: `${iso}#${messageId}` },
            ':tenantId': { S: tenantId }, ':active': { S: 'active' }, ':now': { S: now.toISOString() }, ':old': { S: head.expiresAt },
          },
        }));
        return true;
      } catch (error) {
        if (isConditionFailure(error)) return false;
        throw error;
      }
    });
    if (updated && !extending) await this.setChunkTtl(head, iso);
    return updated;
  }

  async listNewlyExpired(now: Date, limit: number): Promise<MessageHead[]> {
    const q = INDEX.queue;
    const page = await this.read(() => this.client.send(new QueryCommand({
      TableName: this.tableName,
      IndexName: q.name,
      KeyConditionExpression: '#p = :p AND #s < :now',
      ExpressionAttributeNames: { '#p': q.partitionKey, '#s': q.sortKey },
      ExpressionAttributeValues: { ':p': { S: INDEX_PARTITION.expiring }, ':now': { S: now.toISOString() } },
      Limit: limit,
    })));
    return (page.Items ?? []).map(fromHeadItem);
  }

  async markExpired(messageId: string, now: Date): Promise<boolean> {
    return this.write(async () => {
      try {
        await this.client.send(new UpdateItemCommand({
          TableName: this.tableName,
          Key: marshall(key.head(messageId)),
          UpdateExpression: 'SET #expiredAt = :now REMOVE #q',
          ConditionExpression: 'attribute_exists(pk) AND #state = :active AND #expiresAt <= :now AND attribute_not_exists(#expiredAt)',
          ExpressionAttributeNames: { '#expiredAt': 'expiredAt', '#q': INDEX.queue.partitionKey, '#state': 'state', '#expiresAt': 'expiresAt' },
          ExpressionAttributeValues: { ':now': { S: now.toISOString() }, ':active': { S: 'active' } },
        }));
        return true;
      } catch (error) {
        if (isConditionFailure(error)) return false;
        throw error;
      }
    });
  }

  issueCode(messageId: string, rid: string, code: { hash: string; expiresAt: string }, now: Date, limits: VerificationLimits): Promise<boolean> {
    return this.verification.issueCode(messageId, rid, code, now, limits);
  }

  recordFailure(messageId: string, rid: string, now: Date, limits: VerificationLimits): Promise<number | undefined> {
    return this.verification.recordFailure(messageId, rid, now, limits);
  }

  consumeCode(messageId: string, rid: string, codeHash: string, grant: { hash: string; expiresAt: string }, now: Date, limits: VerificationLimits): Promise<boolean> {
    return this.verification.consumeCode(messageId, rid, codeHash, grant, now, limits);
  }

  confirmUnlocked(messageId: string, rid: string, now: Date, limits: VerificationLimits): Promise<boolean> {
    return this.verification.confirmUnlocked(messageId, rid, now, limits);
  }

  storeGrant(messageId: string, rid: string, grant: { hash: string; expiresAt: string }, now: Date): Promise<boolean> {
    return this.verification.storeGrant(messageId, rid, grant, now);
  }

  private async setChunkTtl(head: MessageHead, expiresAt: string): Promise<void> {
    const ttl = String(ttlFor(new Date(expiresAt)));
    await this.write(async () => {
      for (let i = 0; i < head.chunkCount; i += WRITE_CONCURRENCY) {
        await Promise.all(Array.from({ length: Math.min(WRITE_CONCURRENCY, head.chunkCount - i) }, (_, j) =>
          this.client.send(new UpdateItemCommand({
            TableName: this.tableName,
            Key: marshall(key.chunk(head.id, i + j)),
            UpdateExpression: 'SET #ttl = :ttl',
            ConditionExpression: 'attribute_exists(pk)',
            ExpressionAttributeNames: { '#ttl': TTL_ATTRIBUTE },
            ExpressionAttributeValues: { ':ttl': { N: ttl } },
          }))));
      }
    });
  }

  private async read<T>(call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      throw new DependencyError('The message store is not reachable right now. Try again shortly.', 'dynamodb', error);
    }
  }

  private async write<T>(call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      if (error instanceof DependencyError) throw error;
      throw new DependencyError('The message store could not record the change. Try again shortly.', 'dynamodb', error);
    }
  }
}


