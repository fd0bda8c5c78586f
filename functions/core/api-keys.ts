/**
 * API keys. A key is shown once and stored only as SHA-256; lookup goes by a short id derived from
 * that hash, then the full hashes are compared in constant time.
 */
import { toBase64Url } from './encoding.ts';
import { constantTimeEqual, sha256Base64Url } from './digest.ts';
import { UnauthorizedError } from './errors.ts';
import type { KeyScope, Principal } from './model.ts';
import type { RandomBytes, TenantDirectory } from './ports.ts';

export const MIN_API_KEY_LENGTH = 24;
const KEY_PREFIX = 'sp_';

export async function hashApiKey(key: string): Promise<string> {
  return sha256Base64Url(key);
}

/** The lookup id of a key: the first 16 characters of its hash (96 bits; not secret, not reversible). */
export function keyIdFromHash(keyHash: string): string {
  return keyHash.slice(0, 16);
}

/** A fresh key: "sp_" + 256 random bits. */
export function generateApiKey(random: RandomBytes): string {
  return KEY_PREFIX + toBase64Url(random(32));
}

/** Parses "Bearer <key>" from an Authorization header value. */
export function bearerToken(header: string | undefined): string | undefined {
  const match = /^Bearer[ ]+(\S+)\s*$/i.exec(header ?? '');
  return match?.[1];
}

/**
 * Resolves a presented key to its tenant. Unknown, revoked, wrong-scope or disabled-tenant keys all
 * fail with the same UnauthorizedError, so a caller cannot probe which it was.
 */
export async function authenticate(directory: TenantDirectory, presented: string | undefined, scope: KeyScope): Promise<Principal> {
  if (!presented || presented.length < MIN_API_KEY_LENGTH || presented.length > 512) throw new UnauthorizedError();
  const keyHash = await hashApiKey(presented);
  const record = await directory.getApiKey(keyIdFromHash(keyHash));
  if (!record || !constantTimeEqual(record.keyHash, keyHash) || record.revokedAt) throw new UnauthorizedError();
  if (record.scope !== scope && record.scope !== 'admin') throw new UnauthorizedError();
  const tenant = await directory.getTenant(record.tenantId);
  if (!tenant || tenant.disabled) throw new UnauthorizedError();
  return { tenant, keyId: record.keyId, scope: record.scope };
}
