/** A fresh dynalite (in memory, free port) with the sealpost table, for adapter tests. */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ensureTable } from '../../functions/adapters/dynamodb/table.ts';
import { startDynamoDb, type StandIn } from '../../functions/stand-ins/stand-ins.ts';
import type { FaultInjector } from './fault-injector.ts';

export async function startTestTable(tableName = 'sealpost-test'): Promise<{ client: DynamoDBClient; tableName: string; standIn: StandIn; close: () => Promise<void> }> {
  const standIn = await startDynamoDb();
  // The same variable the SDK honours in every entry; set here so the client is built exactly as in production.
  process.env.AWS_ENDPOINT_URL_DYNAMODB = standIn.endpoint;
  const client = new DynamoDBClient({ region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  await ensureTable(client, tableName);
  return { client, tableName, standIn, close: async () => { client.destroy(); await standIn.close(); } };
}

/**
 * Another client of the test table (startTestTable first), with `injector` on it: an adapter built on
 * it meets the faults the injector is armed with (test/helpers/fault-injector.ts).
 */
export function faultyClient(injector: FaultInjector): DynamoDBClient {
  const client = new DynamoDBClient({ region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  injector.attach(client);
  return client;
}

/** Arms `injector` to lose the answer(s) of the `ordinal`-th `command` on `target` (as the injector names targets). */
export function loseAnswer(injector: FaultInjector, command: string, target: string, kind: 'applied-then-lost' | 'applied-then-retried', ordinal = 1): void {
  injector.reset();
  injector.arm({ service: 'DynamoDB', command, target, ordinal, kind });
}
