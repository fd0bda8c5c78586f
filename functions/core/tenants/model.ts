/** Tenants: an organisation's settings, brand and API keys, and who a request acts for. Plain data. */

/** Who must prove what before a recipient's ciphertext is released (enforced by a later issue). */
export type VerificationPolicy = 'none' | 'email-code';

/** A logo stored for a tenant: metadata here, bytes in their own item (see TenantDirectory.getLogo). */
export interface LogoRef {
  readonly contentType: 'image/png' | 'image/svg+xml';
  /** base64url SHA-256 of the bytes: the cache-busting version in the logo's URL. */
  readonly digest: string;
  readonly bytes: number;
}

export interface Brand {
  /** #rrggbb with at least WCAG AA contrast (4.5:1) against white text. */
  readonly primaryColor?: string;
  readonly logo?: LogoRef;
}

/** Everything a tenant's admin may change through the settings API. */
export interface TenantSettings {
  readonly displayName: string;
  /** The From address of notification emails (an SES-verified identity in production). */
  readonly senderAddress: string;
  /** Where replies go unless a message names its own reply-to address. */
  readonly replyTo?: string;
  /** Hostnames that serve this tenant's branded portal (lower case, no port), approved by the operator. */
  readonly portalHostnames: readonly string[];
  /** Hostnames the tenant's admin asked for, waiting for the operator's approval (hostnames.ts): they serve nothing. */
  readonly pendingHostnames?: readonly string[];
  /** Lifetime of a new message when the sender does not give one. */
  readonly defaultExpiryDays: number;
  /** The longest lifetime a sender may give (or extend) a message to. */
  readonly maxExpiryDays: number;
  readonly brand: Brand;
  /** Message Center mode (recipient inbox, KMS-wrapped secrets): stored now, acted on by a later issue. */
  readonly messageCenter: boolean;
  readonly verification: VerificationPolicy;
  /** How long audit events are kept (they outlive the messages they describe). */
  readonly auditRetentionDays: number;
}

export interface Tenant {
  readonly id: string;
  readonly createdAt: string;
  readonly disabled?: boolean;
  /** Incremented on every settings change; updates are conditional on it (no lost updates). */
  readonly revision: number;
  readonly settings: TenantSettings;
}

export type KeyScope = 'send' | 'admin';

/** An API key as stored: only its hash, never the key. */
export interface ApiKeyRecord {
  /** Non-secret lookup id, derived from the key's hash (see api-keys.ts). */
  readonly keyId: string;
  readonly tenantId: string;
  /** base64url SHA-256 of the whole key. */
  readonly keyHash: string;
  readonly scope: KeyScope;
  readonly createdAt: string;
  readonly revokedAt?: string;
  /** When the key was last used, to a minute's precision (updated at most once a minute). */
  readonly lastUsedAt?: string;
  /** Who created it: "operator" (the CLI), "local" (npm start) or "key:<id>" (the admin API). */
  readonly createdBy?: string;
}

export interface Principal {
  readonly tenant: Tenant;
  readonly keyId: string;
  readonly scope: KeyScope;
}

/** A tenant id's shape (`t_` and base64url, or an operator's own: letters, digits, `_`, `-`), checked before any lookup. */
export const TENANT_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

export function isWellFormedTenantId(id: string): boolean {
  return TENANT_ID_PATTERN.test(id);
}
