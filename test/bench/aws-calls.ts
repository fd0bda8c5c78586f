/**
 * AWS calls per operation, counted on the real local stack by an SDK middleware on every client it
 * builds (startLocal's `onSdkClient`, with the fault injector of the faults suite as the recorder:
 * armed with nothing, it only records). One `client.send` is one call, however many HTTP attempts.
 * A second middleware asks DynamoDB for the capacity each call consumed (dynalite computes it as
 * DynamoDB does: 1 KB per write unit, 4 KB per read unit, half for an eventually consistent read);
 * the writes to the global secondary indexes an item is in are added from the table layout
 * (protocol.md §7.4), since dynalite counts the table only. With the wall time of each operation,
 * the bytes it logged and what a message leaves stored, that is what cost.ts prices.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { DynamoDBClient, QueryCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import type { SdkClient } from '../../functions/entries/compose/sdk-clients.ts';
import { FaultInjector, type AwsCall } from '../helpers/fault-injector.ts';
import { startReceiver } from '../helpers/webhook-receiver.ts';
import { SETTLE_SECONDS } from '../../functions/core/webhooks/index.ts';
import { listInbox, open, page, pickupFor, registerWebhook, send, sendBody, signIn, startBenchWorld, uniqueAddress, type BenchWorld } from './world.ts';

export interface CallCount {
  readonly operation: string;
  readonly dynamoReads: number;
  readonly dynamoWrites: number;
  readonly ses: number;
  readonly kms: number;
  /** S3 requests the function made, billed as PUT-class (PutObject, PutObjectTagging) and as GET. */
  readonly s3Puts: number;
  readonly s3Gets: number;
  /** Each call, e.g. `DynamoDB PutItem MSG#/HEAD`. */
  readonly calls: readonly string[];
  /** DynamoDB request units: write (table and indexes) and read. */
  readonly writeUnits: number;
  readonly readUnits: number;
  /** Wall time of the request through the local stack. */
  readonly ms: number;
  /** What the operation logged (CloudWatch Logs ingests it). */
  readonly logBytes: number;
}

/** What one message leaves in the table: bytes by kind, as DynamoDB bills storage (item + 100 bytes, again per index). */
export interface StoredBytes {
  readonly chunks: number;
  readonly head: number;
  readonly events: number;
  /** The message's parts in the blob store (S3): their bytes, and how many a recipient's browser GETs. */
  readonly blobBytes: number;
  readonly blobParts: number;
}

/** One message's life for the cost model: its send, its page, its open, what it leaves stored. */
export interface MessageLife {
  readonly attachmentBytes: number;
  readonly sealedBytes: number;
  readonly send: CallCount;
  readonly page: CallCount;
  readonly open: CallCount;
  readonly stored: StoredBytes;
}

export interface CallReport {
  /** The operations the budgets are about. */
  readonly operations: readonly CallCount[];
  /** A text-only message and a one-chunk message, each to one recipient of a standard tenant, opened once. */
  readonly lives: readonly MessageLife[];
}

export const SEND = 'send, 1 recipient, ~280 KB sealed (standard)';
export const OPEN = 'open (part 0 of 1)';
export const PAGE = 'pickup page (GET /m/{id})';

/** A message of one recipient that fits one 300,000-byte chunk (protocol.md §7.2): 200 KiB attached, ~280 KB sealed. */
export const ONE_CHUNK_ATTACHMENT = 200 * 1024;

/** The global secondary indexes an item of a kind is in (protocol.md §7.4): each write there is written again per index. */
const INDEXES: Readonly<Record<string, number>> = { 'MSG#/HEAD': 2, 'MSG#/EVENT': 1, 'TENANT#/EVENT': 1, 'APIKEY#/APIKEY': 1, 'WEBHOOK#/WEBHOOK': 2 };

type Next = (args: unknown) => Promise<unknown>;
interface Consumed { CapacityUnits?: number }

/** Sums the capacity DynamoDB reports for each call (ReturnConsumedCapacity), indexes added by the item's kind. */
class CapacityMeter {
  write = 0;
  read = 0;
  /** Sizes of the items put, so that an update inside a transaction can be priced for its indexes. */
  private readonly sizes = new Map<string, number>();

  /**
   * What a transaction's writes cost in the indexes: DynamoDB reports the table's units (twice a
   * plain write's, which the stand-in reproduces); each item in an index is written there too, at
   * the plain rate — a put by its size, an update by the size of the item it changes.
   */
  private transactionIndexUnits(input: Record<string, unknown>): number {
    type Op = { Item?: Record<string, AttributeValue>; Key?: Record<string, AttributeValue> };
    let units = 0;
    for (const t of (input.TransactItems ?? []) as Record<string, Op | undefined>[]) {
      const [kind, op] = Object.entries(t).find(([, v]) => v !== undefined) as [string, Op];
      if (kind === 'ConditionCheck') continue;
      const item = op.Item ?? op.Key ?? {};
      const indexes = INDEXES[kindOf({ Item: item })] ?? 0;
      const bytes = op.Item ? storedSize(op.Item) : this.sizes.get(`${item.pk?.S}/${item.sk?.S}`) ?? 1024;
      if (op.Item && item.pk?.S) this.sizes.set(`${item.pk.S}/${item.sk?.S}`, bytes);
      units += indexes * Math.ceil(bytes / 1024);
    }
    return units;
  }
  s3Puts = 0;
  s3Gets = 0;
  readonly attach = (client: SdkClient): void => {
    if (client.constructor.name === 'S3Client') {
      const s3 = client.middlewareStack as unknown as { add(mw: (next: Next, context: Record<string, unknown>) => Next, options: { step: string; name: string }): void };
      s3.add((next, context) => async (args) => {
        const command = String(context.commandName);
        if (/^(Put|Post|Copy|List)/.test(command)) this.s3Puts++;
        else if (/^(Get|Head)/.test(command)) this.s3Gets++;
        return next(args);
      }, { step: 'initialize', name: 'benchS3Meter' });
      return;
    }
    if (client.constructor.name !== 'DynamoDBClient') return;
    const stack = client.middlewareStack as unknown as { add(mw: (next: Next, context: Record<string, unknown>) => Next, options: { step: string; name: string }): void };
    stack.add((next, context) => async (args) => {
      const input = (args as { input: Record<string, unknown> }).input;
      input.ReturnConsumedCapacity = 'TOTAL';
      const result = await next(args) as { output?: { ConsumedCapacity?: Consumed | Consumed[] } };
      const consumed = [result.output?.ConsumedCapacity ?? []].flat().reduce((sum, c) => sum + (c.CapacityUnits ?? 0), 0);
      const command = String(context.commandName);
      if (command.startsWith('TransactWriteItems')) this.write += consumed + this.transactionIndexUnits(input);
      else if (/^(Put|Update|Delete|BatchWrite)/.test(command)) {
        this.write += consumed * (1 + (INDEXES[kindOf(input)] ?? 0));
        const item = input.Item as Record<string, AttributeValue> | undefined;
        if (command.startsWith('PutItem') && item?.pk?.S) this.sizes.set(`${item.pk.S}/${item.sk?.S}`, storedSize(item));
      } else this.read += consumed;
      return result;
    }, { step: 'initialize', name: 'benchCapacityMeter' });
  };
}

/** `MSG#/HEAD`, `MSG#/EVENT`, … of a write's item (the first of a batch). */
function kindOf(input: Record<string, unknown>): string {
  type Key = { pk?: { S?: string }; sk?: { S?: string } };
  const batch = Object.values((input.RequestItems ?? {}) as Record<string, { PutRequest?: { Item: Key }; DeleteRequest?: { Key: Key } }[]>).flat()[0];
  const key = (input.Item ?? input.Key ?? batch?.PutRequest?.Item ?? batch?.DeleteRequest?.Key ?? {}) as Key;
  return `${/^[A-Z]+#/.exec(key.pk?.S ?? '')?.[0] ?? '?'}/${/^[A-Z]+/.exec(key.sk?.S ?? '')?.[0] ?? ''}`;
}

/** An item's size as DynamoDB counts it for storage: names and values, plus 100 bytes of overhead. */
function storedSize(item: Record<string, AttributeValue>): number {
  const value = (v: AttributeValue): number => {
    if (v.S !== undefined) return Buffer.byteLength(v.S);
    if (v.B !== undefined) return v.B.length;
    if (v.N !== undefined) return Math.ceil(v.N.length / 2) + 1;
    if (v.BOOL !== undefined || v.NULL !== undefined) return 1;
    if (v.L !== undefined) return 3 + v.L.reduce((sum, e) => sum + 1 + value(e), 0);
    if (v.M !== undefined) return 3 + Object.entries(v.M).reduce((sum, [k, e]) => sum + Buffer.byteLength(k) + 1 + value(e), 0);
    return 0;
  };
  return 100 + Object.entries(item).reduce((sum, [name, v]) => sum + Buffer.byteLength(name) + value(v), 0);
}

async function storedBytes(world: BenchWorld, messageId: string): Promise<StoredBytes> {
  const table = new DynamoDBClient({ region: 'us-east-1', endpoint: world.stack.dynamoDbEndpoint, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  try {
    const { Items = [] } = await table.send(new QueryCommand({
      TableName: world.stack.tableName, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': { S: `MSG#${messageId}` } },
    }));
    const bytes = (prefix: string) => Items.filter((i) => i.sk?.S?.startsWith(prefix)).reduce((sum, i) => sum + storedSize(i) * (1 + (INDEXES[`MSG#/${prefix}`] ?? 0)), 0);
    const blob = Items.find((i) => i.sk?.S === 'HEAD')?.blob?.M?.parts?.L?.map((n) => Number(n.N)) ?? [];
    return { chunks: bytes('CHUNK'), head: bytes('HEAD'), events: bytes('EVENT'), blobBytes: blob.reduce((a, b) => a + b, 0), blobParts: blob.length };
  } finally {
    table.destroy();
  }
}

export async function countAwsCalls(webDir: string): Promise<CallReport> {
  const injector = new FaultInjector();
  const meter = new CapacityMeter();
  let logBytes = 0;
  const world = await startBenchWorld(webDir, {
    onSdkClient: (client) => { injector.attach(client); meter.attach(client); },
    logLevel: 'info', logWrite: (line) => { logBytes += Buffer.byteLength(line) + 1; },
  });
  const receiver = await startReceiver();
  try {
    const counts: CallCount[] = [];
    const measure = async <T>(operation: string, act: () => Promise<T>): Promise<T> => {
      injector.reset();
      meter.write = meter.read = meter.s3Puts = meter.s3Gets = logBytes = 0;
      const start = performance.now();
      const result = await act();
      const ms = performance.now() - start;
      const recorded = injector.recorded;
      const of = (service: AwsCall['service']) => recorded.filter((c) => c.service === service);
      counts.push({
        operation,
        dynamoReads: of('DynamoDB').filter((c) => !c.write).length,
        dynamoWrites: of('DynamoDB').filter((c) => c.write).length,
        ses: of('SES').length,
        kms: of('KMS').length,
        s3Puts: meter.s3Puts,
        s3Gets: meter.s3Gets,
        calls: recorded.map((c) => `${c.service} ${c.command} ${c.target}`),
        writeUnits: meter.write, readUnits: meter.read, ms, logBytes,
      });
      return result;
    };
    // Events for the webhook round: they settle SETTLE_SECONDS before delivery, while the rest is counted.
    await registerWebhook(world, receiver.url);
    for (let i = 0; i < 2; i++) await send(world, world.hooks, sendBody([uniqueAddress('hook')]));
    const settled = Date.now() + SETTLE_SECONDS * 1000 + 500;

    // Warm-up: an API key's "last used" is written at most once a minute (api-keys.ts), not per send.
    await send(world, world.standard, sendBody([uniqueAddress('warm')]));
    await send(world, world.center, sendBody([uniqueAddress('warm')]));

    const lives: MessageLife[] = [];
    for (const attachmentBytes of [0, ONE_CHUNK_ATTACHMENT]) {
      const address = uniqueAddress('standard');
      const named = (name: string) => (attachmentBytes === ONE_CHUNK_ATTACHMENT ? name : `${name}, text only`);
      await measure(named(SEND), () => send(world, world.standard, sendBody([address], attachmentBytes)));
      const pickup = await pickupFor(world, address);
      await measure(named(PAGE), () => page(world, pickup.id));
      const sealed = await measure(named(OPEN), () => open(world, pickup));
      const [sent, shown, opened] = counts.slice(-3) as [CallCount, CallCount, CallCount];
      lives.push({ attachmentBytes, sealedBytes: sealed.length, send: sent, page: shown, open: opened, stored: await storedBytes(world, pickup.id) });
    }

    const member = uniqueAddress('center');
    await measure('send, 1 recipient, ~280 KB sealed (Message Center)', () => send(world, world.center, sendBody([member], ONE_CHUNK_ATTACHMENT)));
    const cookie = await signIn(world, member);
    await measure('inbox list (Message Center)', () => listInbox(world, cookie));

    await sleep(Math.max(0, settled - Date.now()));
    await measure('webhook delivery round (1 tenant, 1 endpoint)', () => deliverRound(world));
    if (receiver.received.length === 0) throw new Error('the webhook round delivered nothing');
    return { operations: counts.filter((c) => !c.operation.endsWith('text only') && c.operation !== PAGE), lives };
  } finally {
    await receiver.close();
    await world.stack.close();
  }
}

async function deliverRound(world: BenchWorld): Promise<void> {
  const summary = await world.stack.runMaintenance();
  if (!summary.webhooks || summary.webhooks.endpoints !== 1) throw new Error(`the webhook round ran ${summary.webhooks?.endpoints ?? 0} endpoints`);
}
