/**
 * A tenant directory whose getTenant answers from memory for a few seconds: what the portal reads
 * on every page and open (the brand, and whether the tenant is disabled) costs one read per tenant
 * per TENANT_CACHE_MS per function instance rather than one per request, so an open is one read of
 * its message and one write (docs/protocol.md §7.3). The price: disabling a tenant, or a change of
 * its settings, reaches a warm portal within TENANT_CACHE_MS (threat model, residual risk 32).
 * Nothing else is cached: API keys and hostnames are read each time, and nothing a request names
 * (a hostname, an id it supplies) can fill the cache — only the tenant ids of stored messages, and
 * at most TENANT_CACHE_ENTRIES of them.
 */
import type { Clock } from '../shared/index.ts';
import type { Tenant } from './model.ts';
import type { TenantDirectory } from './ports.ts';

export const TENANT_CACHE_MS = 10_000;
export const TENANT_CACHE_ENTRIES = 500;

export function cachedTenantReads<D extends TenantDirectory>(directory: D, clock: Clock, ttlMs = TENANT_CACHE_MS): D {
  const cache = new Map<string, { readonly until: number; readonly tenant: Promise<Tenant | undefined> }>();
  const getTenant = (tenantId: string): Promise<Tenant | undefined> => {
    const now = clock().getTime();
    const hit = cache.get(tenantId);
    if (hit && hit.until > now) return hit.tenant;
    const tenant = directory.getTenant(tenantId);
    // A failed read is not remembered: the next request reads again.
    tenant.catch(() => cache.delete(tenantId));
    cache.delete(tenantId);
    if (cache.size >= TENANT_CACHE_ENTRIES) cache.delete(cache.keys().next().value as string);
    cache.set(tenantId, { until: now + ttlMs, tenant });
    return tenant;
  };
  return new Proxy(directory, {
    get(target, property, receiver) {
      if (property === 'getTenant') return getTenant;
      const value = Reflect.get(target, property, receiver) as unknown;
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}
