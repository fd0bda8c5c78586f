/**
 * API keys. A key is `sp_<id>_<secret>`: the id is visible and not secret (it names the key in
 * lists and the audit trail), the secret part is 256 random bits. A key is shown once and stored
 * only as SHA-256 of the whole key; lookup goes by the id, then the full hashes are compared in
 * constant time. Keys of another shape (e.g. a developer's SEALPOST_DEV_API_KEY) are looked up by
 * an id derived from their hash.
 */
import { toBase64Url, constantTimeEqual, sha256Base64Url, ForbiddenError, UnauthorizedError, type RandomBytes } from '../shared/index.ts';
import type { ApiKeyRecord, KeyScope, Principal } from './model.ts';
import type { TenantDirectory } from './ports.ts';

export const MIN_API_KEY_LENGTH = 24;
/** How stale a key's "last used" may get before a request updates it. */
export const LAST_USED_PRECISION_MS = 60_000;
const KEY_PREFIX = 'sp_';

export async function hashApiKey(key: string): Promise<string> {
  return sha256Base64Url(key);
}

/** The lookup id of a key: the first 16 characters of its hash (96 bits; not secret, not reversible). */
export function keyIdFromHash(keyHash: string): string {
  return keyHash.slice(0, 16);
}

const STRUCTURED_KEY = /^sp_([0-9a-f]{16})_[A-Za-z0-9_-]{43}$/;

/** A fresh key and its id: "sp_" + 16 hex id + "_" + 256 random bits. */
export function generateApiKey(random: RandomBytes): { key: string; keyId: string } {
  const keyId = Array.from(random(8), (b) => b.toString(16).padStart(2, '0')).join('');
  return { key: `${KEY_PREFIX}${keyId}_${toBase64Url(random(32))}`, keyId };
}

/** The lookup id of a presented key: its visible id, or (for other shapes) one derived from its hash. */
export function keyIdOf(key: string, keyHash: string): string {
  return STRUCTURED_KEY.exec(key)?.[1] ?? keyIdFromHash(keyHash);
}

/** A new key record (the key itself is returned to be shown once; only its hash is kept). */
export async function newApiKey(
  input: { tenantId: string; scope: KeyScope; createdBy: string },
  random: RandomBytes,
  now: Date,
): Promise<{ key: string; record: ApiKeyRecord }> {
  const { key, keyId } = generateApiKey(random);
  return { key, record: { keyId, tenantId: input.tenantId, keyHash: await hashApiKey(key), scope: input.scope, createdAt: now.toISOString(), createdBy: input.createdBy } };
}

/** The record of a key whose text is given (local development keys). */
export async function apiKeyRecordFor(key: string, input: { tenantId: string; scope: KeyScope; createdBy: string }, now: Date): Promise<ApiKeyRecord> {
  const keyHash = await hashApiKey(key);
  return { keyId: keyIdOf(key, keyHash), tenantId: input.tenantId, keyHash, scope: input.scope, createdAt: now.toISOString(), createdBy: input.createdBy };
}

/** Parses "Bearer <key>" from an Authorization header value. */
export function bearerToken(header: string | undefined): string | undefined {
  const match = /^Bearer[ ]+(\S+)\s*$/i.exec(header ?? '');
  return match?.[1];
}

/**
 * Resolves a presented key to its tenant. Unknown, revoked or disabled-tenant keys all fail with the
 * same UnauthorizedError, so a caller cannot probe which it was; a working key without the scope
 * gets ForbiddenError. The key's last use is recorded at most once a minute, a write that never
 * fails the request: awaited here, or — with `alongside` — handed to the caller, who lets it run
 * while the request is served and awaits it before answering (so a request — the first after a quiet
 * minute — does not wait a whole DynamoDB round trip for it first; on a cold start, its first UpdateItem).
 */
export async function authenticate(
  directory: TenantDirectory, presented: string | undefined, scope: KeyScope, now: Date = new Date(), alongside?: (work: Promise<void>) => void,
): Promise<Principal> {
  if (!presented || presented.length < MIN_API_KEY_LENGTH || presented.length > 512) throw new UnauthorizedError();
  const keyHash = await hashApiKey(presented);
  const record = await directory.getApiKey(keyIdOf(presented, keyHash));
  if (!record || !constantTimeEqual(record.keyHash, keyHash) || record.revokedAt) throw new UnauthorizedError();
  const tenant = await directory.getTenant(record.tenantId);
  if (!tenant || tenant.disabled || tenant.id !== record.tenantId) throw new UnauthorizedError();
  // Only a working key learns that it lacks the scope.
  if (record.scope !== scope && record.scope !== 'admin') throw new ForbiddenError();
  // "Last used" is worth a write at most once a minute; a failure to record it must not refuse the key.
  if (!record.lastUsedAt || now.getTime() - Date.parse(record.lastUsedAt) >= LAST_USED_PRECISION_MS) {
    const recording = directory.touchApiKey(record.keyId, now).catch(() => undefined);
    if (alongside) alongside(recording);
    else await recording;
  }
  return { tenant, keyId: record.keyId, scope: record.scope };
}
