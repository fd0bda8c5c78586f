/**
 * Local bootstrap: the table (created if missing) and the seeded demo tenant with its send and
 * admin keys. Uses the same adapters as production.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { apiKeyRecordFor, defaultSettings, type Tenant } from '../../core/tenants/index.ts';
import { ensureTable } from '../../adapters/dynamodb/table.ts';
import { DynamoDbTenantDirectory } from '../../adapters/dynamodb/tenant-directory.ts';

/** The table of the local stack (npm start, and the operator CLI when no AWS table is named). */
export const LOCAL_TABLE_NAME = 'sealpost';

/** The demo tenant starts with verification "none", so the first local run is one click. */
export const DEMO_TENANT: Tenant = {
  id: 'demo',
  createdAt: '2026-01-01T00:00:00.000Z',
  revision: 1,
  settings: defaultSettings({ displayName: 'Demo Health Clinic', senderAddress: 'notices@demo-clinic.example', verification: 'none' }),
};

/**
 * Creates the table and seeds `tenant` (unless it exists: its settings may have been changed since)
 * with a send key and an admin key, stored only as hashes. Idempotent.
 */
export async function seedLocal(
  client: DynamoDBClient,
  tableName: string,
  keys: { sendKey: string; adminKey: string },
  tenant: Tenant = DEMO_TENANT,
  now = new Date(),
): Promise<void> {
  await ensureTable(client, tableName);
  const directory = new DynamoDbTenantDirectory(client, tableName);
  if (!(await directory.getTenant(tenant.id))) await directory.createTenant(tenant);
  for (const [key, scope] of [[keys.sendKey, 'send'], [keys.adminKey, 'admin']] as const) {
    const record = await apiKeyRecordFor(key, { tenantId: tenant.id, scope, createdBy: 'local' }, now);
    const existing = await directory.getApiKey(record.keyId);
    if (!existing) await directory.putApiKey(record);
  }
}
