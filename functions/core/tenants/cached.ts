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
 * given a tenant only as a stored message's own. It holds at most TENANT_CACHE_ENTRIES tenants,
 * and apart from them at most as many ids that name no tenant, the oldest of each going first: a
 * request can name any well-formed id, but only a tenant that exists takes a tenant's place. Reads
 * under way are shared while younger than TENANT_CACHE_MS, and held only until they are done: as
 * many as run at once (on Lambda, those of the one request an instance serves).
 */
import type { Clock } from '../shared/index.ts';
import type { Tenant } from './model.ts';
import type { TenantDirectory } from './ports.ts';

export const TENANT_CACHE_MS = 10_000;

/** What a directory that remembers tenants adds (TenantDirectory.holds, .keep). */
export type TenantMemory = Required<Pick<TenantDirectory, 'holds' | 'keep'>>;
export const TENANT_CACHE_ENTRIES = 500;

export function cachedTenantReads<D extends TenantDirectory>(directory: D, clock: Clock, ttlMs = TENANT_CACHE_MS): D & TenantMemory {
  type Held = { readonly until: number; readonly tenant: Tenant | undefined };
  // Tenants that exist, and ids that name none, in memories of their own: ids that name no tenant
  // cost nothing to make up, and a flood of them pushes out only others like them, never a tenant.
  const found = new Map<string, Held>();
  const missing = new Map<string, Held>();
  /**
   * Reads under way, and when each started: a request that asks meanwhile shares the read, as it
   * would share what the read brings, while the read is younger than `ttlMs` (with `ttlMs` 0, never).
   * Remembered once done, unless a newer answer (`keep`, or a read started after it) came first.
   */
  const reading = new Map<string, { readonly started: number; readonly tenant: Promise<Tenant | undefined> }>();
  const remember = (tenantId: string, tenant: Tenant | undefined, until: number): void => {
    found.delete(tenantId);
    missing.delete(tenantId);
    const memory = tenant === undefined ? missing : found;
    if (memory.size >= TENANT_CACHE_ENTRIES) memory.delete(memory.keys().next().value as string);
    memory.set(tenantId, { until, tenant });
  };
  const held = (tenantId: string, now: number): Held | undefined => {
    const hit = found.get(tenantId) ?? missing.get(tenantId);
    return hit && hit.until > now ? hit : undefined;
  };
  const getTenant = (tenantId: string): Promise<Tenant | undefined> => {
    const now = clock().getTime();
    const hit = held(tenantId, now);
    if (hit) return Promise.resolve(hit.tenant);
    const under = reading.get(tenantId);
    if (under && now - under.started < ttlMs) return under.tenant;
    const tenant = directory.getTenant(tenantId);
    const entry = { started: now, tenant };
    reading.set(tenantId, entry);
    // Still the newest answer under way (neither `keep` nor a later read replaced it).
    const settled = (): boolean => reading.get(tenantId) === entry && reading.delete(tenantId);
    // A failed read is not remembered: the next request reads again.
    tenant.then((read) => { if (settled()) remember(tenantId, read, now + ttlMs); }, settled);
    return tenant;
  };
  const memory: TenantMemory = {
    holds: (tenantId) => held(tenantId, clock().getTime()) !== undefined,
    keep: (tenantId, tenant) => {
      // Newer than any read of it still under way, which is then not remembered over it.
      reading.delete(tenantId);
      remember(tenantId, tenant, clock().getTime() + ttlMs);
    },
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
