/** A fresh dynalite (in memory, free port) with the sealpost table, for adapter tests. */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ensureTable } from '../../functions/adapters/dynamodb/table.ts';
import { startDynamoDb, type StandIn } from '../../functions/stand-ins/stand-ins.ts';

export async function startTestTable(tableName = 'sealpost-test'): Promise<{ client: DynamoDBClient; tableName: string; standIn: StandIn; close: () => Promise<void> }> {
  const standIn = await startDynamoDb();
  // The same variable the SDK honours in every entry; set here so the client is built exactly as in production.
  process.env.AWS_ENDPOINT_URL_DYNAMODB = standIn.endpoint;
  const client = new DynamoDBClient({ region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  await ensureTable(client, tableName);
  return { client, tableName, standIn, close: async () => { client.destroy(); await standIn.close(); } };
}
