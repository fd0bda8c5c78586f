/** Scans everything the server kept — every DynamoDB item and every log line — for forbidden strings. */
import { DynamoDBClient, ScanCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';

function flatten(value: AttributeValue | undefined, out: string[]): void {
  if (!value) return;
  if (value.S !== undefined) out.push(value.S);
  if (value.N !== undefined) out.push(value.N);
  if (value.B !== undefined) {
    // Binary values are checked as text, as base64 and as base64url, so a marker cannot hide in an encoding.
    const buffer = Buffer.from(value.B);
    out.push(buffer.toString('latin1'), buffer.toString('base64'), buffer.toString('base64url'));
  }
  value.SS?.forEach((s) => out.push(s));
  value.L?.forEach((v) => flatten(v, out));
  if (value.M) for (const [k, v] of Object.entries(value.M)) { out.push(k); flatten(v, out); }
}

export async function dumpTable(endpoint: string, tableName: string): Promise<{ items: number; text: string }> {
  const client = new DynamoDBClient({ region: 'us-east-1', endpoint, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  const parts: string[] = [];
  let items = 0;
  let startKey: Record<string, AttributeValue> | undefined;
  do {
    const page = await client.send(new ScanCommand({ TableName: tableName, ExclusiveStartKey: startKey }));
    for (const item of page.Items ?? []) {
      items++;
      for (const [k, v] of Object.entries(item)) { parts.push(k); flatten(v, parts); }
    }
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  client.destroy();
  return { items, text: parts.join('\n') };
}

/** Every forbidden needle found in the haystack (empty when clean). */
export function findLeaks(haystack: string, needles: Record<string, string>): string[] {
  return Object.entries(needles).filter(([, needle]) => needle.length > 0 && haystack.includes(needle)).map(([name]) => name);
}
