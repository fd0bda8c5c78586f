import { describe, expect, it } from 'vitest';
import {
  apiKeyRecordFor, authenticate, bearerToken, generateApiKey, hashApiKey, keyIdFromHash, type KeyScope,
} from '../../../functions/core/tenants/index.ts';
import { constantTimeEqual, ForbiddenError, UnauthorizedError } from '../../../functions/core/shared/index.ts';
import { aTenant } from '../../helpers/builders.ts';
import { InMemoryTenantDirectory } from '../../helpers/fakes.ts';

async function aDirectory(keys: { key: string; scope: KeyScope; revokedAt?: string }[]) {
  const directory = new InMemoryTenantDirectory();
  directory.tenants.set('acme', aTenant());
  for (const { key, scope, revokedAt } of keys) {
    const keyHash = await hashApiKey(key);
    directory.keys.set(keyIdFromHash(keyHash), { keyId: keyIdFromHash(keyHash), tenantId: 'acme', keyHash, scope, createdAt: '2026-01-01T00:00:00.000Z', ...(revokedAt ? { revokedAt } : {}) });
  }
  return directory;
}

const SEND = 'sp_send_key_0123456789abcdefghij';
const ADMIN = 'sp_admin_key_0123456789abcdefghij';
const REVOKED = 'sp_revoked_key_0123456789abcdefg';

describe('authenticate', () => {
  it('resolves a key to its tenant and scope; an admin key may also send', async () => {
    const directory = await aDirectory([{ key: SEND, scope: 'send' }, { key: ADMIN, scope: 'admin' }]);

    expect(await authenticate(directory, SEND, 'send')).toMatchObject({ tenant: { id: 'acme' }, scope: 'send' });
    expect(await authenticate(directory, ADMIN, 'send')).toMatchObject({ tenant: { id: 'acme' }, scope: 'admin' });
  });

  it('refuses a revoked key, an unknown, a near-miss and a too-short key alike', async () => {
    const directory = await aDirectory([{ key: SEND, scope: 'send' }, { key: REVOKED, scope: 'send', revokedAt: '2026-02-01T00:00:00.000Z' }]);

    for (const [key, scope] of [[REVOKED, 'send'], ['sp_unknown_key_0123456789abcdefg', 'send'], [SEND.slice(0, -1) + 'X', 'send'], ['short', 'send'], [undefined, 'send']] as const) {
      await expect(authenticate(directory, key, scope)).rejects.toEqual(new UnauthorizedError());
    }
  });

  it('tells a working send key that it lacks the admin scope, but a disabled tenant\'s key only 401', async () => {
    const directory = await aDirectory([{ key: SEND, scope: 'send' }]);

    await expect(authenticate(directory, SEND, 'admin')).rejects.toBeInstanceOf(ForbiddenError);
    await directory.setDisabled('acme', true);
    await expect(authenticate(directory, SEND, 'admin')).rejects.toEqual(new UnauthorizedError());
  });

  it('looks a generated key up by its visible id and records its use at most once a minute', async () => {
    const directory = await aDirectory([]);
    const { key, keyId } = generateApiKey((n) => new Uint8Array(n).fill(7));
    await directory.putApiKey(await apiKeyRecordFor(key, { tenantId: 'acme', scope: 'send', createdBy: 'test' }, new Date('2026-01-01T00:00:00Z')));

    expect(key).toMatch(new RegExp(`^sp_${keyId}_[A-Za-z0-9_-]{43}$`));
    expect(await authenticate(directory, key, 'send', new Date('2026-11-29T12:00:00Z'))).toMatchObject({ keyId });
    await authenticate(directory, key, 'send', new Date('2026-11-29T12:00:30Z'));
    expect(directory.keys.get(keyId)?.lastUsedAt).toBe('2026-11-29T12:00:00.000Z');
    await authenticate(directory, key, 'send', new Date('2026-11-29T12:01:00Z'));
    expect(directory.keys.get(keyId)?.lastUsedAt).toBe('2026-11-29T12:01:00.000Z');
  });

  it('waits for the last-use write, or hands it to a caller that serves the request meanwhile', async () => {
    const directory = await aDirectory([{ key: SEND, scope: 'send' }]);
    const writes: (() => void)[] = [];
    directory.touchApiKey = () => new Promise<void>((resolve) => { writes.push(resolve); });
    const settled = (promise: Promise<unknown>) => Promise.race([promise.then(() => true), new Promise((resolve) => setTimeout(() => resolve(false), 20))]);

    // Alongside: the principal at once, the write still running, and in the caller's hands.
    let handed: Promise<void> | undefined;
    expect(await authenticate(directory, SEND, 'send', new Date(), (work) => { handed = work; })).toMatchObject({ scope: 'send' });
    expect(writes).toHaveLength(1);
    expect(await settled(handed as Promise<void>)).toBe(false);
    writes[0]?.();
    expect(await settled(handed as Promise<void>)).toBe(true);
    // Without: no principal until the write is done.
    const waiting = authenticate(directory, SEND, 'send');
    expect(await settled(waiting)).toBe(false);
    writes[1]?.();
    expect(await settled(waiting)).toBe(true);
  });
});

describe('bearerToken and constantTimeEqual', () => {
  it('parse only "Bearer <key>" and compare whole strings', () => {
    expect(bearerToken('Bearer abc')).toBe('abc');
    expect(bearerToken('bearer  abc ')).toBe('abc');
    expect(bearerToken('Basic abc')).toBeUndefined();
    expect(bearerToken('Bearer a b')).toBeUndefined();
    expect(constantTimeEqual('abc', 'abc')).toBe(true);
    expect(constantTimeEqual('abc', 'abd')).toBe(false);
    expect(constantTimeEqual('abc', 'abcd')).toBe(false);
    expect(constantTimeEqual('', '')).toBe(true);
  });
});
