/**
 * The portal's tenant reads from memory (core/tenants/cached.ts): one read per tenant per
 * TENANT_CACHE_MS, a change (a disabled tenant) seen once that time has passed, a failed read never
 * remembered, nothing a request names cached, and the memory bounded, ids that name no tenant apart.
 */
import { describe, expect, it } from 'vitest';
import { TENANT_CACHE_ENTRIES, TENANT_CACHE_MS, cachedTenantReads, type Tenant } from '../../../functions/core/tenants/index.ts';
import { InMemoryTenantDirectory } from '../../helpers/fakes.ts';
import { aClock, aTenant } from '../../helpers/builders.ts';

function world() {
  const directory = new InMemoryTenantDirectory();
  directory.tenants.set('acme', aTenant());
  let reads = 0;
  const getTenant = directory.getTenant.bind(directory);
  directory.getTenant = async (id: string) => { reads++; return getTenant(id); };
  const clock = aClock();
  return { directory, clock, cached: cachedTenantReads(directory, clock), reads: () => reads };
}

describe('cachedTenantReads', () => {
  it('reads a tenant once per TENANT_CACHE_MS, and sees a disabled tenant once that has passed', async () => {
    const { directory, clock, cached, reads } = world();
    expect((await cached.getTenant('acme'))?.disabled).toBeFalsy();
    directory.tenants.set('acme', { ...(directory.tenants.get('acme') as Tenant), disabled: true });
    expect((await cached.getTenant('acme'))?.disabled).toBeFalsy();
    expect(reads()).toBe(1);
    clock.set(new Date(clock().getTime() + TENANT_CACHE_MS).toISOString());
    expect((await cached.getTenant('acme'))?.disabled).toBe(true);
    expect(reads()).toBe(2);
  });

  it('says which tenants it holds, and keeps a tenant read elsewhere for TENANT_CACHE_MS, as its own read', async () => {
    const { clock, cached, reads } = world();
    expect(cached.holds('acme')).toBe(false);
    const kept = aTenant({ settings: { displayName: 'Read with a message' } });
    cached.keep('acme', kept);
    expect(cached.holds('acme')).toBe(true);
    expect(await cached.getTenant('acme')).toBe(kept);
    expect(reads()).toBe(0);
    // A tenant that is not there is kept as such: closed, without a read.
    cached.keep('gone', undefined);
    expect(await cached.getTenant('gone')).toBeUndefined();
    expect(reads()).toBe(0);
    clock.set(new Date(clock().getTime() + TENANT_CACHE_MS).toISOString());
    expect(cached.holds('acme')).toBe(false);
    expect((await cached.getTenant('acme'))?.settings.displayName).not.toBe('Read with a message');
    expect(reads()).toBe(1);
  });

  it('does not remember a failed read', async () => {
    const { directory, cached, reads } = world();
    const getTenant = directory.getTenant;
    directory.getTenant = async () => { throw new Error('unreachable'); };
    await expect(cached.getTenant('acme')).rejects.toThrow('unreachable');
    directory.getTenant = getTenant;
    expect((await cached.getTenant('acme'))?.id).toBe('acme');
    expect(reads()).toBe(1);
  });

  it('caches nothing else: hostnames and keys are read every time', async () => {
    const { directory, cached } = world();
    let hostReads = 0;
    directory.tenantForHostname = async () => { hostReads++; return undefined; };
    await cached.tenantForHostname('a.example');
    await cached.tenantForHostname('a.example');
    expect(hostReads).toBe(2);
  });

  it('keeps at most TENANT_CACHE_ENTRIES tenants, the oldest going first', async () => {
    const { directory, cached, reads } = world();
    for (let i = 0; i <= TENANT_CACHE_ENTRIES; i++) directory.tenants.set(`t${i}`, aTenant({ id: `t${i}` }));
    for (let i = 0; i <= TENANT_CACHE_ENTRIES; i++) expect((await cached.getTenant(`t${i}`))?.id).toBe(`t${i}`);
    expect(reads()).toBe(TENANT_CACHE_ENTRIES + 1);
    await cached.getTenant('t0'); // the oldest went first
    expect(reads()).toBe(TENANT_CACHE_ENTRIES + 2);
    await cached.getTenant(`t${TENANT_CACHE_ENTRIES}`);
    expect(reads()).toBe(TENANT_CACHE_ENTRIES + 2);
  });

  it('keeps ids that name no tenant apart: a flood of them never pushes a tenant out', async () => {
    const { cached, reads } = world();
    expect((await cached.getTenant('acme'))?.id).toBe('acme');
    // Any well-formed id costs a caller nothing to make up (a brand route reads whatever it names).
    for (let i = 0; i < 3 * TENANT_CACHE_ENTRIES; i++) expect(await cached.getTenant(`junk${i}`)).toBeUndefined();
    expect(reads()).toBe(1 + 3 * TENANT_CACHE_ENTRIES);
    expect(cached.holds('acme')).toBe(true);
    expect((await cached.getTenant('acme'))?.id).toBe('acme');
    expect(reads()).toBe(1 + 3 * TENANT_CACHE_ENTRIES);
    // They are remembered as missing too, at most TENANT_CACHE_ENTRIES of them, the oldest going first.
    await cached.getTenant(`junk${3 * TENANT_CACHE_ENTRIES - 1}`);
    expect(reads()).toBe(1 + 3 * TENANT_CACHE_ENTRIES);
    await cached.getTenant(`junk${2 * TENANT_CACHE_ENTRIES - 1}`);
    expect(reads()).toBe(2 + 3 * TENANT_CACHE_ENTRIES);
  });

  it('reads a tenant once for the requests that ask while it is being read, while that read is younger than TENANT_CACHE_MS', async () => {
    const { directory, clock, cached, reads } = world();
    const [a, b] = await Promise.all([cached.getTenant('acme'), cached.getTenant('acme')]);
    expect(a?.id).toBe('acme');
    expect(b).toBe(a);
    expect(reads()).toBe(1);
    // A read that has not answered within TENANT_CACHE_MS is not shared: the next request reads again.
    const held = heldReads(directory);
    clock.set(new Date(clock().getTime() + TENANT_CACHE_MS).toISOString());
    const slow = cached.getTenant('acme');
    clock.set(new Date(clock().getTime() + TENANT_CACHE_MS).toISOString());
    const later = cached.getTenant('acme');
    expect(held.pending).toBe(2);
    held.answer();
    await Promise.all([slow, later]);
    // Read nothing at all (TENANT_CACHE_MS 0): every request reads.
    const direct = cachedTenantReads(directory, clock, 0);
    const both = Promise.all([direct.getTenant('acme'), direct.getTenant('acme')]);
    expect(held.pending).toBe(2);
    held.answer();
    await both;
  });

  it('keeps what it is given over an older read still under way', async () => {
    const { directory, clock, cached } = world();
    const held = heldReads(directory);
    const older = cached.getTenant('acme');
    const disabled = { ...(directory.tenants.get('acme') as Tenant), disabled: true };
    cached.keep('acme', disabled);
    held.answer();
    expect((await older)?.disabled).toBeFalsy();
    expect(await cached.getTenant('acme')).toBe(disabled);
    expect(held.pending).toBe(0);
    // The same for "no such tenant" read under way, and a tenant kept meanwhile.
    const gone = cached.getTenant('new');
    cached.keep('new', aTenant({ id: 'new' }));
    held.answer();
    expect(await gone).toBeUndefined();
    expect((await cached.getTenant('new'))?.id).toBe('new');
    clock.set(new Date(clock().getTime() + TENANT_CACHE_MS).toISOString());
    expect(cached.holds('new')).toBe(false);
  });

  it('remembers an id that names no tenant for TENANT_CACHE_MS only, and a tenant kept under it in the tenants\' memory', async () => {
    const { directory, clock, cached, reads } = world();
    expect(await cached.getTenant('later')).toBeUndefined();
    directory.tenants.set('later', aTenant({ id: 'later' }));
    expect(await cached.getTenant('later')).toBeUndefined();
    expect(reads()).toBe(1);
    clock.set(new Date(clock().getTime() + TENANT_CACHE_MS).toISOString());
    expect((await cached.getTenant('later'))?.id).toBe('later');
    expect(reads()).toBe(2);
    // Kept as a tenant over the id once missing: a flood of made-up ids does not push it out.
    expect(await cached.getTenant('soon')).toBeUndefined();
    cached.keep('soon', aTenant({ id: 'soon' }));
    for (let i = 0; i < TENANT_CACHE_ENTRIES + 1; i++) await cached.getTenant(`junk${i}`);
    const before = reads();
    expect((await cached.getTenant('soon'))?.id).toBe('soon');
    expect(reads()).toBe(before);
    // And the other way: a tenant read as gone is gone, not still the tenant it was.
    cached.keep('soon', undefined);
    expect(await cached.getTenant('soon')).toBeUndefined();
    expect(reads()).toBe(before);
    // Each id is in one memory at a time: pushed out of the tenants' one, it is read again, not found missing.
    cached.keep('soon', aTenant({ id: 'soon' }));
    for (let i = 0; i < TENANT_CACHE_ENTRIES; i++) cached.keep(`t${i}`, aTenant({ id: `t${i}` }));
    directory.tenants.set('soon', aTenant({ id: 'soon' }));
    expect((await cached.getTenant('soon'))?.id).toBe('soon');
    expect(reads()).toBe(before + 1);
  });
});

/** Holds the directory's reads until `answer`: the reads under way. */
function heldReads(directory: InMemoryTenantDirectory) {
  const getTenant = directory.getTenant;
  const waiting: (() => void)[] = [];
  directory.getTenant = (id: string) => new Promise((resolve, reject) => { waiting.push(() => { getTenant(id).then(resolve, reject); }); });
  return {
    get pending() { return waiting.length; },
    answer() { for (const go of waiting.splice(0)) go(); },
  };
}
