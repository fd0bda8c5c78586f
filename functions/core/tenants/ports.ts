/** Ports of tenants: the directory request paths read, and what an admin or the operator may change. */
import type { ApiKeyRecord, LogoRef, Tenant, TenantSettings } from './model.ts';

/** Tenants and their API keys, as request paths read them. */
export interface TenantDirectory {
  getTenant(tenantId: string): Promise<Tenant | undefined>;
  /**
   * A directory that remembers tenants for a while (cachedTenantReads): whether it holds `tenantId`
   * now, so a read of it elsewhere would add nothing, and `keep`, for a tenant read elsewhere (with a
   * message: MessageStore.readForOpen) — only ever a stored message's own tenant, never one a request named.
   */
  holds?(tenantId: string): boolean;
  keep?(tenantId: string, tenant: Tenant | undefined): void;
  /** The key stored under `keyId`, if any; the caller compares hashes in constant time. */
  getApiKey(keyId: string): Promise<ApiKeyRecord | undefined>;
  /** The tenant whose branded portal `hostname` serves, if the tenant still lists it. */
  tenantForHostname(hostname: string): Promise<Tenant | undefined>;
  /**
   * Records a use of a key, at most once a minute (one conditional write, so a busy key costs one
   * write a minute, not one per request).
   */
  touchApiKey(keyId: string, now: Date): Promise<void>;
}

/** Everything a tenant's admin (and the operator) may change. Each method is one conditional write. */
export interface TenantAdmin extends TenantDirectory {
  /** Creates a tenant; false if the id is taken. */
  createTenant(tenant: Tenant): Promise<boolean>;
  /** Stores a key's hash; false if the key id is taken. */
  putApiKey(record: ApiKeyRecord): Promise<boolean>;
  /** The tenant's keys, revoked ones included, newest first. */
  listApiKeys(tenantId: string): Promise<ApiKeyRecord[]>;
  /** Revokes the tenant's key if it is not revoked yet; undefined when there is no such active key. */
  revokeApiKey(tenantId: string, keyId: string, now: Date): Promise<ApiKeyRecord | undefined>;
  /** Replaces the settings if the stored revision is still `expectedRevision`; undefined when it is not. */
  updateSettings(tenantId: string, expectedRevision: number, settings: TenantSettings): Promise<Tenant | undefined>;
  /** Claims a portal hostname for a tenant; false when another tenant holds it. */
  claimHostname(hostname: string, tenantId: string): Promise<boolean>;
  /** Releases a hostname the tenant holds (no-op otherwise). */
  releaseHostname(hostname: string, tenantId: string): Promise<void>;
  /** Stores a logo version (before the settings that point to it). */
  putLogo(tenantId: string, logo: LogoRef, bytes: Uint8Array): Promise<void>;
  getLogo(tenantId: string, digest: string): Promise<Uint8Array | undefined>;
  deleteLogo(tenantId: string, digest: string): Promise<void>;
  /** Disables (or re-enables) a tenant; false if it does not exist. */
  setDisabled(tenantId: string, disabled: boolean): Promise<boolean>;
  /** All tenants (operator only: a scan). */
  listTenants(): Promise<Tenant[]>;
}
