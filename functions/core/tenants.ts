/** Creating tenants: an organisation with its own sender address, settings and first admin key. */
import { toBase64Url } from './encoding.ts';
import { generateApiKey, hashApiKey, keyIdFromHash } from './api-keys.ts';
import { ValidationError } from './errors.ts';
import { DEFAULT_EXPIRY_DAYS } from './expiry.ts';
import type { ApiKeyRecord, Tenant } from './model.ts';
import type { RandomBytes } from './ports.ts';
import { CONTROL_CHARS, EMAIL_PATTERN as EMAIL } from './text-rules.ts';


export interface NewTenant {
  readonly tenant: Tenant;
  readonly adminKey: string;
  readonly adminKeyRecord: ApiKeyRecord;
}

/** A new tenant and its first admin key (shown once; only its hash is stored). */
export async function newTenant(input: { name: string; senderAddress: string }, random: RandomBytes, now: Date): Promise<NewTenant> {
  const name = input.name.trim();
  const issues = [];
  if (name.length === 0 || name.length > 100 || CONTROL_CHARS.test(name)) issues.push({ field: 'name', message: 'must be 1–100 characters without line breaks or control characters' });
  if (!EMAIL.test(input.senderAddress) || input.senderAddress.length > 254) issues.push({ field: 'sender', message: 'must be an email address (an SES-verified identity in production)' });
  if (issues.length > 0) throw new ValidationError(issues.map((i) => `${i.field} ${i.message}`).join('; '), issues);

  const tenant: Tenant = {
    id: `t_${toBase64Url(random(9))}`,
    displayName: name,
    senderAddress: input.senderAddress,
    settings: { defaultExpiryDays: DEFAULT_EXPIRY_DAYS },
  };
  const adminKey = generateApiKey(random);
  const keyHash = await hashApiKey(adminKey);
  return {
    tenant,
    adminKey,
    adminKeyRecord: { keyId: keyIdFromHash(keyHash), tenantId: tenant.id, keyHash, scope: 'admin', createdAt: now.toISOString() },
  };
}
