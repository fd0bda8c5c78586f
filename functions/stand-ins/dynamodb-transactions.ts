/**
 * TransactWriteItems for dynalite, which has none (dynalite 4.0.0: no transactions, no PartiQL).
 * sealpost records a state change and its audit event in one transaction (docs/protocol.md §7.3), so
 * the local stand-in must give the same guarantees DynamoDB documents for it ("Amazon DynamoDB
 * transactions", Developer Guide):
 *
 * - all or nothing: every write's condition holds and all are applied, or none is and the answer is
 *   TransactionCanceledException with one CancellationReason per item (`ConditionalCheckFailed`,
 *   with the item as it was under ReturnValuesOnConditionCheckFailure ALL_OLD, or `None`);
 * - isolation: no other request sees a transaction half applied;
 * - idempotency: a retry with the same ClientRequestToken within ten minutes after a success is a
 *   success that changes nothing (the SDK fills the token and reuses it across its retries);
 * - the limits we rely on: 1 to 100 items, one operation per item;
 * - capacity: twice the write units of the same writes outside a transaction.
 *
 * How: every request to the stand-in takes a shared lock until its answer is sent; a transaction
 * takes it exclusively. Holding it, the transaction reads each item (consistently), applies the
 * writes one by one with their own conditions through dynalite, and if one is refused puts back what
 * it had already changed before answering. A ConditionCheck is a rewrite of the item as it is (or,
 * for an absent item, a delete of nothing) under its condition. The sub-requests go to the same
 * server with a marker only this process knows, which bypasses the lock.
 */
import { randomBytes } from 'node:crypto';
import { request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

type Item = Record<string, unknown>;
type Handler = (req: IncomingMessage, res: ServerResponse) => void;

const TARGET_PREFIX = 'DynamoDB_20120810.';
const TOKEN_WINDOW_MS = 10 * 60 * 1000;
const MAX_ITEMS = 100;

/** A readers–writer lock, first come first served (a waiting transaction holds back later readers). */
class SharedLock {
  private readers = 0;
  private writer = false;
  private readonly queue: { exclusive: boolean; go: () => void }[] = [];

  acquire(exclusive: boolean): Promise<() => void> {
    return new Promise((resolve) => {
      this.queue.push({ exclusive, go: () => resolve(this.releaser(exclusive)) });
      this.pump();
    });
  }

  private releaser(exclusive: boolean): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      if (exclusive) this.writer = false;
      else this.readers--;
      this.pump();
    };
  }

  private pump(): void {
    while (this.queue.length > 0 && !this.writer) {
      const next = this.queue[0] as { exclusive: boolean; go: () => void };
      if (next.exclusive && this.readers > 0) return;
      this.queue.shift();
      if (next.exclusive) this.writer = true;
      else this.readers++;
      next.go();
      if (next.exclusive) return;
    }
  }
}

class DynamoError extends Error {
  constructor(readonly type: string, message: string, readonly extra: Record<string, unknown> = {}) {
    super(message);
  }
}

interface TransactItem {
  readonly Put?: { TableName: string; Item: Item; ConditionExpression?: string; ExpressionAttributeNames?: Item; ExpressionAttributeValues?: Item; ReturnValuesOnConditionCheckFailure?: string };
  readonly Update?: { TableName: string; Key: Item; UpdateExpression: string; ConditionExpression?: string; ExpressionAttributeNames?: Item; ExpressionAttributeValues?: Item; ReturnValuesOnConditionCheckFailure?: string };
  readonly Delete?: { TableName: string; Key: Item; ConditionExpression?: string; ExpressionAttributeNames?: Item; ExpressionAttributeValues?: Item; ReturnValuesOnConditionCheckFailure?: string };
  readonly ConditionCheck?: { TableName: string; Key: Item; ConditionExpression: string; ExpressionAttributeNames?: Item; ExpressionAttributeValues?: Item; ReturnValuesOnConditionCheckFailure?: string };
}

/** Puts TransactWriteItems in front of a dynalite server's own request handling. */
export function addTransactions(server: Server): void {
  const handlers = server.listeners('request') as Handler[];
  server.removeAllListeners('request');
  const marker = randomBytes(16).toString('hex');
  const lock = new SharedLock();
  const keySchemas = new Map<string, string[]>();
  const done = new Map<string, { at: number; body: string }>();

  const pass = (req: IncomingMessage, res: ServerResponse) => { for (const handle of handlers) handle(req, res); };

  /** One request to dynalite itself, past the lock. */
  const call = (operation: string, input: unknown, auth: IncomingMessage['headers']): Promise<Item> => new Promise((resolve, reject) => {
    const body = JSON.stringify(input);
    const { port } = server.address() as AddressInfo;
    const req = httpRequest({
      host: '127.0.0.1', port, method: 'POST', path: '/',
      headers: {
        'content-type': 'application/x-amz-json-1.0', 'x-amz-target': `${TARGET_PREFIX}${operation}`, 'content-length': Buffer.byteLength(body),
        ...(auth.authorization ? { authorization: auth.authorization } : {}), ...(auth['x-amz-date'] ? { 'x-amz-date': auth['x-amz-date'] } : {}),
        'x-sealpost-standin': marker,
      },
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        let parsed: Item & { __type?: string; message?: string; Message?: string };
        try {
          parsed = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as typeof parsed;
        } catch (error) {
          reject(error);
          return;
        }
        if ((res.statusCode ?? 500) >= 400) reject(new DynamoError(String(parsed.__type ?? 'InternalFailure').split('#').pop() as string, String(parsed.message ?? parsed.Message ?? 'failed')));
        else resolve(parsed);
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });

  const keyOf = async (table: string, item: Item, auth: IncomingMessage['headers']): Promise<Item> => {
    let names = keySchemas.get(table);
    if (!names) {
      const described = await call('DescribeTable', { TableName: table }, auth) as { Table: { KeySchema: { AttributeName: string }[] } };
      names = described.Table.KeySchema.map((k) => k.AttributeName);
      keySchemas.set(table, names);
    }
    return Object.fromEntries(names.map((n) => [n, item[n]]));
  };

  const transact = async (raw: string, auth: IncomingMessage['headers']): Promise<Item> => {
    let input: { TransactItems?: TransactItem[]; ClientRequestToken?: string; ReturnConsumedCapacity?: string };
    try {
      input = JSON.parse(raw) as typeof input;
    } catch {
      throw new DynamoError('SerializationException', 'The request is not JSON');
    }
    const items = Array.isArray(input.TransactItems) ? input.TransactItems : [];
    const valid = (t: unknown) => {
      if (!t || typeof t !== 'object') return false;
      const ops = Object.entries(t).filter(([, v]) => v !== undefined);
      const [kind, op] = ops[0] ?? [];
      return ops.length === 1 && ['Put', 'Update', 'Delete', 'ConditionCheck'].includes(kind as string) && op && typeof op === 'object' && typeof (op as { TableName?: unknown }).TableName === 'string'
        && (kind === 'Put' ? typeof (op as { Item?: unknown }).Item === 'object' : typeof (op as { Key?: unknown }).Key === 'object');
    };
    if (!items.every(valid)) throw new DynamoError('ValidationException', 'Each TransactItem must have exactly one of Put, Update, Delete or ConditionCheck, with its table and item or key');
    if (items.length < 1 || items.length > MAX_ITEMS) throw new DynamoError('ValidationException', `TransactItems must have between 1 and ${MAX_ITEMS} items`);
    const now = Date.now();
    for (const [token, entry] of done) if (entry.at < now - TOKEN_WINDOW_MS) done.delete(token);
    const token = input.ClientRequestToken;
    const { ClientRequestToken: _token, ...comparable } = input;
    const fingerprint = JSON.stringify(comparable);
    if (token !== undefined && done.has(token)) {
      if (done.get(token)?.body !== fingerprint) throw new DynamoError('IdempotentParameterMismatchException', 'The request uses the same client token as a previous, but non-identical request.');
      return {};
    }

    // Each item's table, key and state before.
    const plan = await Promise.all(items.map(async (t) => {
      const [kind, op] = Object.entries(t).find(([, v]) => v !== undefined) as [keyof TransactItem, NonNullable<TransactItem[keyof TransactItem]>];
      const key = 'Item' in op ? await keyOf(op.TableName, op.Item, auth) : (op as { Key: Item }).Key;
      const before = (await call('GetItem', { TableName: op.TableName, Key: key, ConsistentRead: true }, auth)).Item as Item | undefined;
      return { kind, op, key, before, id: `${op.TableName}\n${JSON.stringify(key)}` };
    }));
    if (new Set(plan.map((p) => p.id)).size !== plan.length) throw new DynamoError('ValidationException', 'Transaction request cannot include multiple operations on one item');

    let units = 0;
    const applied: typeof plan = [];
    const putBack = async () => {
      for (const p of applied.reverse()) {
        if (p.before) await call('PutItem', { TableName: p.op.TableName, Item: p.before }, auth);
        else await call('DeleteItem', { TableName: p.op.TableName, Key: p.key }, auth);
      }
    };
    for (const [index, p] of plan.entries()) {
      const { ReturnValuesOnConditionCheckFailure: returnOld, ...op } = p.op as Item & { TableName: string; ReturnValuesOnConditionCheckFailure?: string };
      const capacity = { ReturnConsumedCapacity: 'TOTAL' };
      try {
        let answer: Item;
        if (p.kind === 'Put') answer = await call('PutItem', { ...op, ...capacity }, auth);
        else if (p.kind === 'Update') answer = await call('UpdateItem', { ...op, ...capacity }, auth);
        else if (p.kind === 'Delete') answer = await call('DeleteItem', { ...op, ...capacity }, auth);
        else {
          const { Key: _key, ...condition } = op;
          answer = p.before
            ? await call('PutItem', { ...condition, Item: p.before }, auth)
            : await call('DeleteItem', { ...condition, Key: p.key }, auth);
        }
        units += Number((answer.ConsumedCapacity as { CapacityUnits?: number } | undefined)?.CapacityUnits ?? 0);
        applied.push(p);
      } catch (error) {
        // If putting back fails too, the stand-in says so rather than answer as if nothing happened.
        await putBack().catch((e: unknown) => { throw new DynamoError('InternalFailure', `a failed transaction could not be undone: ${String(e)}`); });
        if (error instanceof DynamoError && error.type === 'ConditionalCheckFailedException') {
          const reasons = plan.map((q, i) => (i === index
            ? { Code: 'ConditionalCheckFailed', Message: 'The conditional request failed', ...(returnOld === 'ALL_OLD' && q.before ? { Item: q.before } : {}) }
            : { Code: 'None' }));
          throw new DynamoError('TransactionCanceledException', `Transaction cancelled, please refer cancellation reasons for specific reasons [${reasons.map((r) => r.Code).join(', ')}]`, { CancellationReasons: reasons });
        }
        throw error;
      }
    }
    if (token !== undefined) done.set(token, { at: now, body: fingerprint });
    const table = plan[0]?.op.TableName;
    return input.ReturnConsumedCapacity && input.ReturnConsumedCapacity !== 'NONE' ? { ConsumedCapacity: [{ TableName: table, CapacityUnits: units * 2 }] } : {};
  };

  const answer = (res: ServerResponse, status: number, body: unknown) => {
    if (!res.destroyed) res.writeHead(status, { 'Content-Type': 'application/x-amz-json-1.0' }).end(JSON.stringify(body));
  };

  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    if (req.headers['x-sealpost-standin'] === marker) return pass(req, res);
    const transaction = req.headers['x-amz-target'] === `${TARGET_PREFIX}TransactWriteItems`;
    // Watched from the start: a client gone while its request waits for the lock gives its turn back.
    let gone = false;
    let running = false;
    let release: (() => void) | undefined;
    // A transaction under way keeps the lock until it has applied or put back all of its writes.
    res.once('close', () => { gone = true; if (!running) release?.(); });
    const run = (body?: string) => void lock.acquire(transaction).then((granted) => {
      release = granted;
      if (gone) return granted();
      if (!transaction) return pass(req, res);
      running = true;
      transact(body ?? '', req.headers).then(
        (result) => answer(res, 200, result),
        (error: unknown) => {
          const e = error instanceof DynamoError ? error : new DynamoError('InternalFailure', `The local transaction failed: ${String(error)}`);
          answer(res, e.type === 'InternalFailure' ? 500 : 400, { __type: `com.amazonaws.dynamodb.v20120810#${e.type}`, message: e.message, ...e.extra });
        },
      ).finally(granted);
    });
    if (!transaction) return run();
    // A transaction's body is read before it takes the lock: a slow sender holds up nobody.
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => run(Buffer.concat(chunks).toString('utf8')));
  });
}
