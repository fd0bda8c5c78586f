import { PutItemCommand } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDbTenantDirectory } from '../../../functions/adapters/dynamodb/tenant-directory.ts';
import { key } from '../../../functions/adapters/dynamodb/table.ts';
import { aTenant } from '../../helpers/builders.ts';
import { startTestTable } from '../../helpers/dynamo.ts';

let env: Awaited<ReturnType<typeof startTestTable>>;
let directory: DynamoDbTenantDirectory;
beforeAll(async () => {
  env = await startTestTable();
  directory = new DynamoDbTenantDirectory(env.client, env.tableName);
});
afterAll(() => env.close());

const t0 = new Date('2026-11-29T12:00:00Z');
const aKey = (keyId: string, tenantId: string, createdAt = t0.toISOString()) => ({ keyId, tenantId, keyHash: `hash-${keyId}`, scope: 'send' as const, createdAt });

describe('DynamoDbTenantDirectory', () => {
  it('stores a tenant once and its key hashes, refusing a duplicate tenant or key id', async () => {
    const tenant = aTenant({ id: 'acme' });

    expect(await directory.createTenant(tenant)).toBe(true);
    expect(await directory.createTenant({ ...tenant, revision: 9 })).toBe(false);
    expect(await directory.putApiKey(aKey('kid1', 'acme'))).toBe(true);
    expect(await directory.putApiKey(aKey('kid1', 'evil'))).toBe(false);

    expect(await directory.getTenant('acme')).toEqual(tenant);
    expect(await directory.getApiKey('kid1')).toEqual(aKey('kid1', 'acme'));
    expect(await directory.getTenant('nope')).toBeUndefined();
  });

  it('reads a tenant stored in the earlier shape (name and sender at the top) as today\'s settings', async () => {
    await env.client.send(new PutItemCommand({
      TableName: env.tableName,
      Item: marshall({ ...key.tenant('legacy'), type: 'tenant', id: 'legacy', displayName: 'Old Org', senderAddress: 'n@old.example', settings: { defaultExpiryDays: 7 } }),
    }));

    const tenant = await directory.getTenant('legacy');

    expect(tenant).toMatchObject({ id: 'legacy', revision: 0, settings: { displayName: 'Old Org', senderAddress: 'n@old.example', defaultExpiryDays: 7, verification: 'none', messageCenter: false } });
    const updated = await directory.updateSettings('legacy', 0, { ...(tenant?.settings as NonNullable<typeof tenant>['settings']), displayName: 'New Org' });
    expect(updated).toMatchObject({ revision: 1, settings: { displayName: 'New Org', senderAddress: 'n@old.example' } });
    expect(await directory.updateSettings('legacy', 0, updated!.settings)).toBeUndefined();
  });

  it('lists a tenant\'s keys newest first and no other tenant\'s', async () => {
    await directory.putApiKey(aKey('list-a1', 'lister', '2026-11-01T00:00:00.000Z'));
    await directory.putApiKey(aKey('list-a2', 'lister', '2026-11-02T00:00:00.000Z'));
    await directory.putApiKey(aKey('list-b1', 'someone-else'));

    const keys = await directory.listApiKeys('lister');

    expect(keys.map((k) => k.keyId)).toEqual(['list-a2', 'list-a1']);
  });

  it('revokes a key only for its own tenant and only once', async () => {
    await directory.putApiKey(aKey('rev1', 'acme'));

    expect(await directory.revokeApiKey('evil', 'rev1', t0)).toBeUndefined();
    expect(await directory.revokeApiKey('acme', 'rev1', t0)).toMatchObject({ keyId: 'rev1', revokedAt: t0.toISOString() });
    expect(await directory.revokeApiKey('acme', 'rev1', t0)).toBeUndefined();
    expect(await directory.revokeApiKey('acme', 'missing', t0)).toBeUndefined();
  });

  it('records a key\'s last use at most once a minute', async () => {
    await directory.putApiKey(aKey('touch1', 'acme'));

    await directory.touchApiKey('touch1', t0);
    await directory.touchApiKey('touch1', new Date(t0.getTime() + 30_000));
    expect((await directory.getApiKey('touch1'))?.lastUsedAt).toBe(t0.toISOString());
    await directory.touchApiKey('touch1', new Date(t0.getTime() + 61_000));
    expect((await directory.getApiKey('touch1'))?.lastUsedAt).toBe(new Date(t0.getTime() + 61_000).toISOString());
  });

  it('applies settings only at the revision they were read at, so one of two racing updates wins', async () => {
    const tenant = aTenant({ id: 'racer' });
    await directory.createTenant(tenant);

    const results = await Promise.all(Array.from({ length: 10 }, (_, i) =>
      directory.updateSettings('racer', 1, { ...tenant.settings, displayName: `Name ${i}` })));

    expect(results.filter((r) => r !== undefined)).toHaveLength(1);
    expect((await directory.getTenant('racer'))?.revision).toBe(2);
  });

  it('gives a hostname to one tenant, resolves it only while that tenant lists it, and releases it', async () => {
    await directory.createTenant(aTenant({ id: 'host-a', settings: { portalHostnames: ['secure.a.example'] } }));
    await directory.createTenant(aTenant({ id: 'host-b' }));

    expect(await directory.claimHostname('secure.a.example', 'host-a')).toBe(true);
    expect(await directory.claimHostname('secure.a.example', 'host-a')).toBe(true);
    expect(await directory.claimHostname('secure.a.example', 'host-b')).toBe(false);
    expect((await directory.tenantForHostname('secure.a.example'))?.id).toBe('host-a');

    await directory.claimHostname('unlisted.a.example', 'host-a');
    expect(await directory.tenantForHostname('unlisted.a.example')).toBeUndefined();

    await directory.releaseHostname('secure.a.example', 'host-b');
    expect((await directory.tenantForHostname('secure.a.example'))?.id).toBe('host-a');
    await directory.releaseHostname('secure.a.example', 'host-a');
    expect(await directory.tenantForHostname('secure.a.example')).toBeUndefined();
    expect(await directory.claimHostname('secure.a.example', 'host-b')).toBe(true);
  });

  it('keeps logo versions by digest', async () => {
    const bytes = new Uint8Array([1, 2, 3, 4]);
    await directory.putLogo('acme', { contentType: 'image/png', digest: 'd1', bytes: 4 }, bytes);

    expect(await directory.getLogo('acme', 'd1')).toEqual(bytes);
    expect(await directory.getLogo('other', 'd1')).toBeUndefined();
    await directory.deleteLogo('acme', 'd1');
    expect(await directory.getLogo('acme', 'd1')).toBeUndefined();
  });

  it('disables a tenant and lists tenants by name', async () => {
    expect(await directory.setDisabled('acme', true)).toBe(true);
    expect(await directory.setDisabled('missing', true)).toBe(false);

    expect((await directory.getTenant('acme'))?.disabled).toBe(true);
    expect((await directory.listTenants()).map((t) => t.settings.displayName)).toEqual([...(await directory.listTenants()).map((t) => t.settings.displayName)].sort((a, b) => a.localeCompare(b)));
  });
});
