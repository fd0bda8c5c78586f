/**
 * Reads everything the table keeps: as one text to scan for forbidden strings (with every log line),
 * or as a snapshot to prove that nothing changed.
 */
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

/** Every item of the table, as DynamoDB returns them. */
async function scanTable(endpoint: string, tableName: string): Promise<Record<string, AttributeValue>[]> {
  const client = new DynamoDBClient({ region: 'us-east-1', endpoint, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  const items: Record<string, AttributeValue>[] = [];
  let startKey: Record<string, AttributeValue> | undefined;
  try {
    do {
      const page = await client.send(new ScanCommand({ TableName: tableName, ExclusiveStartKey: startKey }));
      items.push(...(page.Items ?? []));
      startKey = page.LastEvaluatedKey;
    } while (startKey);
  } finally {
    client.destroy();
  }
  return items;
}

export async function dumpTable(endpoint: string, tableName: string): Promise<{ items: number; text: string }> {
  const parts: string[] = [];
  const items = await scanTable(endpoint, tableName);
  for (const item of items) {
    for (const [k, v] of Object.entries(item)) { parts.push(k); flatten(v, parts); }
  }
  return { items: items.length, text: parts.join('\n') };
}

/** The whole table as sorted lines, one item each (keys sorted, binary as base64): equal snapshots, equal tables. */
export async function snapshotTable(endpoint: string, tableName: string): Promise<string[]> {
  const canonical = (value: unknown): unknown => {
    if (value instanceof Uint8Array) return Buffer.from(value).toString('base64');
    if (Array.isArray(value)) return value.map(canonical);
    if (value !== null && typeof value === 'object') {
      return Object.fromEntries(Object.entries(value).sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => [k, canonical(v)]));
    }
    return value;
  };
  return (await scanTable(endpoint, tableName)).map((item) => JSON.stringify(canonical(item))).sort();
}

/** Every forbidden needle found in the haystack (empty when clean). */
export function findLeaks(haystack: string, needles: Record<string, string>): string[] {
  return Object.entries(needles).filter(([, needle]) => needle.length > 0 && haystack.includes(needle)).map(([name]) => name);
}
