/**
 * Local bootstrap: the table (created if missing) and the seeded demo tenant with its API key.
 * Uses the same adapters as production.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { hashApiKey, keyIdFromHash } from '../core/api-keys.ts';
import { DEFAULT_EXPIRY_DAYS } from '../core/expiry.ts';
import type { Tenant } from '../core/model.ts';
import { ensureTable } from '../adapters/dynamodb-table.ts';
import { DynamoDbTenantDirectory } from '../adapters/dynamodb-tenant-directory.ts';

/** The table of the local stack (npm start, and the operator CLI when no AWS table is named). */
export const LOCAL_TABLE_NAME = 'sealpost';

export const DEMO_TENANT: Tenant = {
  id: 'demo',
  displayName: 'Demo Health Clinic',
  senderAddress: 'notices@demo-clinic.example',
  settings: { defaultExpiryDays: DEFAULT_EXPIRY_DAYS },
};

/** Creates the table and seeds `tenant` with `apiKey` (stored only as its hash). Idempotent. */
export async function seedLocal(client: DynamoDBClient, tableName: string, apiKey: string, tenant: Tenant = DEMO_TENANT, now = new Date()): Promise<void> {
  await ensureTable(client, tableName);
  const directory = new DynamoDbTenantDirectory(client, tableName);
  if (!(await directory.getTenant(tenant.id))) await directory.putTenant(tenant);
  const keyHash = await hashApiKey(apiKey);
  await directory.putApiKey({ keyId: keyIdFromHash(keyHash), tenantId: tenant.id, keyHash, scope: 'send', createdAt: now.toISOString() });
}
