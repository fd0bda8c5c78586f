/**
 * The local stand-in's TransactWriteItems (functions/stand-ins/dynamodb-transactions.ts), through the
 * real AWS SDK: all or nothing, isolation from other requests, idempotency by client token, the
 * cancellation reasons DynamoDB gives, and twice the write units.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BatchGetItemCommand, DynamoDBClient, GetItemCommand, PutItemCommand, TransactWriteItemsCommand, TransactionCanceledException, type TransactWriteItem,
} from '@aws-sdk/client-dynamodb';
import { request } from 'node:http';
import { startTestTable } from '../helpers/dynamo.ts';

let table: Awaited<ReturnType<typeof startTestTable>>;
let client: DynamoDBClient;
let name: string;

beforeAll(async () => {
  table = await startTestTable('transactions-test');
  client = table.client;
  name = table.tableName;
});
afterAll(() => table.close());

const key = (pk: string) => ({ pk: { S: pk }, sk: { S: 'X' } });
const get = async (pk: string) => (await client.send(new GetItemCommand({ TableName: name, Key: key(pk), ConsistentRead: true }))).Item;
const put = (pk: string, n: number) => client.send(new PutItemCommand({ TableName: name, Item: { ...key(pk), n: { N: String(n) } } }));
const add = (pk: string, by = 1, condition?: string): TransactWriteItem => ({
  Update: {
    TableName: name, Key: key(pk), UpdateExpression: 'ADD n :by', ExpressionAttributeValues: { ':by': { N: String(by) }, ...(condition ? { ':max': { N: '3' } } : {}) },
    ...(condition ? { ConditionExpression: condition } : {}),
  },
});

describe('TransactWriteItems on the local stand-in', () => {
  it('applies every write when every condition holds, and bills twice the write units', async () => {
    const answer = await client.send(new TransactWriteItemsCommand({
      TransactItems: [
        { Put: { TableName: name, Item: { ...key('a1'), n: { N: '1' } }, ConditionExpression: 'attribute_not_exists(pk)' } },
        { Put: { TableName: name, Item: { ...key('a2'), n: { N: '2' } }, ConditionExpression: 'attribute_not_exists(pk)' } },
      ],
      ReturnConsumedCapacity: 'TOTAL',
    }));
    expect((await get('a1'))?.n).toEqual({ N: '1' });
    expect((await get('a2'))?.n).toEqual({ N: '2' });
    expect(answer.ConsumedCapacity?.[0]?.CapacityUnits).toBe(4);
  });

  it('applies nothing when one condition fails, and says which, with the item as it was', async () => {
    await put('b1', 1);
    await put('b2', 5);
    const attempt = client.send(new TransactWriteItemsCommand({
      TransactItems: [
        add('b1'),
        { Put: { TableName: name, Item: { ...key('b3'), n: { N: '0' } } } },
        { ...add('b2', 1, 'n < :max'), Update: { ...add('b2', 1, 'n < :max').Update!, ReturnValuesOnConditionCheckFailure: 'ALL_OLD' } },
      ],
    }));
    const error = await attempt.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransactionCanceledException);
    const reasons = (error as TransactionCanceledException).CancellationReasons ?? [];
    expect(reasons.map((r) => r.Code)).toEqual(['None', 'None', 'ConditionalCheckFailed']);
    expect(reasons[2]?.Item?.n).toEqual({ N: '5' });
    expect((await get('b1'))?.n).toEqual({ N: '1' });
    expect(await get('b3')).toBeUndefined();
    expect((await get('b2'))?.n).toEqual({ N: '5' });
  });

  it('checks a condition without writing, on an item that exists and on one that does not', async () => {
    await put('c1', 7);
    await client.send(new TransactWriteItemsCommand({
      TransactItems: [
        { ConditionCheck: { TableName: name, Key: key('c1'), ConditionExpression: 'n = :seven', ExpressionAttributeValues: { ':seven': { N: '7' } } } },
        { ConditionCheck: { TableName: name, Key: key('c-absent'), ConditionExpression: 'attribute_not_exists(pk)' } },
        add('c2'),
      ],
    }));
    expect((await get('c1'))?.n).toEqual({ N: '7' });
    expect(await get('c-absent')).toBeUndefined();
    expect((await get('c2'))?.n).toEqual({ N: '1' });
    const refused = await client.send(new TransactWriteItemsCommand({
      TransactItems: [add('c2'), { ConditionCheck: { TableName: name, Key: key('c-absent'), ConditionExpression: 'attribute_exists(pk)' } }],
    })).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(TransactionCanceledException);
    expect((await get('c2'))?.n).toEqual({ N: '1' });
  });

  it('applies a retry with the same client token once, and refuses the token for another request', async () => {
    const token = 'token-d-0000000000000000000000000001';
    await client.send(new TransactWriteItemsCommand({ TransactItems: [add('d1')], ClientRequestToken: token }));
    await client.send(new TransactWriteItemsCommand({ TransactItems: [add('d1')], ClientRequestToken: token }));
    expect((await get('d1'))?.n).toEqual({ N: '1' });
    const mismatch = await client.send(new TransactWriteItemsCommand({ TransactItems: [add('d1', 2)], ClientRequestToken: token })).catch((e: unknown) => e);
    expect((mismatch as Error).name).toBe('IdempotentParameterMismatchException');
    await client.send(new TransactWriteItemsCommand({ TransactItems: [add('d1')] }));
    expect((await get('d1'))?.n).toEqual({ N: '2' });
  });

  it('refuses two operations on one item, and more than 100 items', async () => {
    const twice = await client.send(new TransactWriteItemsCommand({ TransactItems: [add('e1'), add('e1')] })).catch((e: unknown) => e);
    expect((twice as Error).name).toBe('ValidationException');
    expect(await get('e1')).toBeUndefined();
    const many = await client.send(new TransactWriteItemsCommand({ TransactItems: Array.from({ length: 101 }, (_, i) => add(`e-${i}`)) })).catch((e: unknown) => e);
    expect((many as Error).name).toBe('ValidationException');
  });

  it('is never seen half applied by a concurrent reader', async () => {
    await put('f1', 0);
    await put('f2', 0);
    let torn = 0;
    let reads = 0;
    let writing = true;
    // One BatchGetItem reads both items in one request: on the stand-in it runs wholly before or
    // after a transaction. (DynamoDB promises less for BatchGetItem — read-committed per item — so
    // the code never relies on it: an open that misses its chunk reads it again.)
    const reader = (async () => {
      while (writing) {
        const { Responses } = await client.send(new BatchGetItemCommand({ RequestItems: { [name]: { Keys: [key('f1'), key('f2')], ConsistentRead: true } } }));
        const [a, b] = (Responses?.[name] ?? []).map((i) => i.n?.N);
        reads++;
        if (a !== b) torn++;
      }
    })();
    await Promise.all(Array.from({ length: 30 }, () => client.send(new TransactWriteItemsCommand({ TransactItems: [add('f1'), add('f2')] }))));
    writing = false;
    await reader;
    expect((await get('f1'))?.n).toEqual({ N: '30' });
    expect((await get('f2'))?.n).toEqual({ N: '30' });
    expect(reads).toBeGreaterThan(1);
    expect(torn).toBe(0);
  });

  it('keeps going when clients hang up while they wait their turn', async () => {
    await put('g1', 0);
    const { port } = new URL(table.standIn.endpoint);
    const hangUp = () => new Promise<void>((resolve) => {
      const req = request({ host: '127.0.0.1', port, method: 'POST', path: '/', headers: {
        'content-type': 'application/x-amz-json-1.0', 'x-amz-target': 'DynamoDB_20120810.GetItem', authorization: 'AWS4-HMAC-SHA256 Credential=local/20260101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=0',
      } });
      req.on('error', () => resolve());
      req.end(JSON.stringify({ TableName: name, Key: key('g1') }), () => { req.destroy(); resolve(); });
    });
    await Promise.all([
      ...Array.from({ length: 20 }, () => client.send(new TransactWriteItemsCommand({ TransactItems: [add('g1')] }))),
      ...Array.from({ length: 20 }, hangUp),
    ]);
    const later = await Promise.race([
      Promise.all([client.send(new TransactWriteItemsCommand({ TransactItems: [add('g1')] })), get('g1')]).then(() => 'answered'),
      new Promise((resolve) => setTimeout(() => resolve('stuck'), 5000)),
    ]);
    expect(later).toBe('answered');
    expect((await get('g1'))?.n).toEqual({ N: '21' });
  });
});
