/**
 * A tenant directory whose getTenant answers from memory for a few seconds: what the portal reads
 * on every page and open (the brand, and whether the tenant is disabled) costs one read per tenant
 * per TENANT_CACHE_MS per function instance rather than one per request, so an open is one read of
 * its message and one write (docs/protocol.md §7.3). An instance that does not hold the tenant reads
 * it with the message when the pickup page names it (`holds`, then `keep`: MessageStore.readForOpen).
 * The price: disabling a tenant, or a change of its settings, reaches a warm portal within
 * TENANT_CACHE_MS (threat model, residual risk 32). Nothing else is cached: API keys and hostnames
 * are read each time. What fills the memory is a read through getTenant — of a stored message's
 * tenant, or of a brand route's well-formed tenant id (read, found or not) — or `keep`, which is
 * given a tenant only as a stored message's own; at most TENANT_CACHE_ENTRIES of them, the oldest
 * going first.
 */
import type { Clock } from '../shared/index.ts';
import type { Tenant } from './model.ts';
import type { TenantDirectory } from './ports.ts';

export const TENANT_CACHE_MS = 10_000;

/** What a directory that remembers tenants adds (TenantDirectory.holds, .keep). */
export type TenantMemory = Required<Pick<TenantDirectory, 'holds' | 'keep'>>;
export const TENANT_CACHE_ENTRIES = 500;

export function cachedTenantReads<D extends TenantDirectory>(directory: D, clock: Clock, ttlMs = TENANT_CACHE_MS): D & TenantMemory {
  const cache = new Map<string, { readonly until: number; readonly tenant: Promise<Tenant | undefined> }>();
  const remember = (tenantId: string, tenant: Promise<Tenant | undefined>, now: number): void => {
    cache.delete(tenantId);
    if (cache.size >= TENANT_CACHE_ENTRIES) cache.delete(cache.keys().next().value as string);
    cache.set(tenantId, { until: now + ttlMs, tenant });
  };
  const held = (tenantId: string, now: number) => {
    const hit = cache.get(tenantId);
    return hit && hit.until > now ? hit : undefined;
  };
  const getTenant = (tenantId: string): Promise<Tenant | undefined> => {
    const now = clock().getTime();
    const hit = held(tenantId, now);
    if (hit) return hit.tenant;
    const tenant = directory.getTenant(tenantId);
    // A failed read is not remembered: the next request reads again.
    tenant.catch(() => cache.delete(tenantId));
    remember(tenantId, tenant, now);
    return tenant;
  };
  const memory: TenantMemory = {
    holds: (tenantId) => held(tenantId, clock().getTime()) !== undefined,
    keep: (tenantId, tenant) => remember(tenantId, Promise.resolve(tenant), clock().getTime()),
  };
  return new Proxy(directory as D & TenantMemory, {
    get(target, property, receiver) {
      if (property === 'getTenant') return getTenant;
      if (property === 'holds' || property === 'keep') return memory[property];
      const value = Reflect.get(target, property, receiver) as unknown;
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}
