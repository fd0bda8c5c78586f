/** A tenant's admin manages its API keys: create (shown once), list, revoke. */
import { newApiKey } from './api-keys.ts';
import { appendEvents, type EventLog } from '../audit/index.ts';
import { DependencyError, NotFoundError, type Clock, type Logger, type RandomBytes } from '../shared/index.ts';
import type { ApiKeyRecord, KeyScope, Principal } from './model.ts';
import type { TenantAdmin } from './ports.ts';

export interface KeyAdminDeps {
  readonly tenants: TenantAdmin;
  readonly events: EventLog;
  readonly clock: Clock;
  readonly random: RandomBytes;
  readonly logger: Logger;
}

/** A key as lists show it: never the key or its hash. */
export interface KeySummary {
  readonly id: string;
  readonly scope: KeyScope;
  readonly createdAt: string;
  readonly createdBy?: string;
  readonly lastUsedAt: string | null;
  readonly revokedAt: string | null;
}

/** The 201 body of POST /v1/admin/keys: the only time the key is shown. */
export interface CreatedKey {
  readonly id: string;
  readonly key: string;
  readonly scope: KeyScope;
  readonly createdAt: string;
}

interface RequestContext { readonly sourceIp?: string; readonly userAgent?: string }

export function keySummary(record: ApiKeyRecord): KeySummary {
  return {
    id: record.keyId,
    scope: record.scope,
    createdAt: record.createdAt,
    ...(record.createdBy ? { createdBy: record.createdBy } : {}),
    lastUsedAt: record.lastUsedAt ?? null,
    revokedAt: record.revokedAt ?? null,
  };
}

export async function createKey(deps: KeyAdminDeps, principal: Principal, scope: KeyScope, ctx: RequestContext = {}): Promise<CreatedKey> {
  const now = deps.clock();
  const { key, record } = await newApiKey({ tenantId: principal.tenant.id, scope, createdBy: `key:${principal.keyId}` }, deps.random, now);
  // 64 random bits of id: a collision is astronomically unlikely, and the conditional put refuses it.
  if (!(await deps.tenants.putApiKey(record))) throw new DependencyError('The key could not be created; nothing was stored. Retry.', 'dynamodb');
  await appendEvents(deps, [{
    tenantId: principal.tenant.id, type: 'key_created', at: now.toISOString(), actor: `key:${principal.keyId}`, objectId: record.keyId,
    detail: `scope ${scope}`, sourceIp: ctx.sourceIp, userAgent: ctx.userAgent, retentionDays: principal.tenant.settings.auditRetentionDays,
  }]);
  return { id: record.keyId, key, scope, createdAt: record.createdAt };
}

export async function listKeys(deps: KeyAdminDeps, principal: Principal): Promise<KeySummary[]> {
  const records = await deps.tenants.listApiKeys(principal.tenant.id);
  return records.filter((r) => r.tenantId === principal.tenant.id).map(keySummary);
}

/** Revokes a key of the caller's tenant; from that moment it answers 401. Idempotent for an already revoked key. */
export async function revokeKey(deps: KeyAdminDeps, principal: Principal, keyId: string, ctx: RequestContext = {}): Promise<void> {
  const now = deps.clock();
  const revoked = await deps.tenants.revokeApiKey(principal.tenant.id, keyId, now);
  if (revoked) {
    await appendEvents(deps, [{
      tenantId: principal.tenant.id, type: 'key_revoked', at: now.toISOString(), actor: `key:${principal.keyId}`, objectId: keyId,
      detail: `scope ${revoked.scope}`, sourceIp: ctx.sourceIp, userAgent: ctx.userAgent, retentionDays: principal.tenant.settings.auditRetentionDays,
    }]);
    return;
  }
  const existing = /^[A-Za-z0-9_-]{1,64}$/.test(keyId) ? await deps.tenants.getApiKey(keyId) : undefined;
  if (!existing || existing.tenantId !== principal.tenant.id) throw new NotFoundError('No API key with this id exists for your organisation.');
}
