/** Creating tenants: an organisation with its own sender address, settings and first admin key. */
import {
  toBase64Url, ValidationError, DEFAULT_EXPIRY_DAYS, EVENT_RETENTION_DAYS, MAX_EXPIRY_DAYS, CONTROL_CHARS, EMAIL_PATTERN as EMAIL,
  type FieldIssue, type RandomBytes,
} from '../shared/index.ts';
import { newApiKey } from './api-keys.ts';
import type { ApiKeyRecord, Tenant, TenantSettings, VerificationPolicy } from './model.ts';

export interface NewTenant {
  readonly tenant: Tenant;
  readonly adminKey: string;
  readonly adminKeyRecord: ApiKeyRecord;
}

/** Settings of a new tenant: unbranded, standard mode, the given verification policy. */
export function defaultSettings(input: { displayName: string; senderAddress: string; verification: VerificationPolicy }): TenantSettings {
  return {
    displayName: input.displayName,
    senderAddress: input.senderAddress,
    portalHostnames: [],
    defaultExpiryDays: DEFAULT_EXPIRY_DAYS,
    maxExpiryDays: MAX_EXPIRY_DAYS,
    brand: {},
    messageCenter: false,
    verification: input.verification,
    auditRetentionDays: EVENT_RETENTION_DAYS,
  };
}

/**
 * A new tenant and its first admin key (shown once; only its hash is stored). Tenants created by
 * the operator start with "email-code" verification: a link alone is a bearer token that mail
 * scanners store and re-open.
 */
export async function newTenant(input: { name: string; senderAddress: string }, random: RandomBytes, now: Date): Promise<NewTenant> {
  const name = input.name.trim();
  const issues: FieldIssue[] = [];
  if (name.length === 0 || name.length > 100 || CONTROL_CHARS.test(name)) issues.push({ field: 'name', message: 'must be 1–100 characters without line breaks or control characters' });
  if (!EMAIL.test(input.senderAddress) || input.senderAddress.length > 254) issues.push({ field: 'sender', message: 'must be an email address (an SES-verified identity in production)' });
  if (issues.length > 0) throw new ValidationError(issues.map((i) => `${i.field} ${i.message}`).join('; '), issues);

  const tenant: Tenant = {
    id: `t_${toBase64Url(random(9))}`,
    createdAt: now.toISOString(),
    revision: 1,
    settings: defaultSettings({ displayName: name, senderAddress: input.senderAddress, verification: 'email-code' }),
  };
  const { key, record } = await newApiKey({ tenantId: tenant.id, scope: 'admin', createdBy: 'operator' }, random, now);
  return { tenant, adminKey: key, adminKeyRecord: record };
}
