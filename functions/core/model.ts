/** Domain types shared by core, adapters and routes. Plain data: no behaviour, no I/O. */

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
  /** Hostnames that serve this tenant's branded portal (lower case, no port). */
  readonly portalHostnames: readonly string[];
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
  /** Non-secret lookup id, derived from the key's hash (see core/api-keys.ts). */
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

export type RecipientKind = 'to' | 'cc';
export type DeliveryStatus = 'pending' | 'notified' | 'failed';

export interface Address {
  readonly email: string;
  readonly name?: string;
}

export interface RecipientRecord extends Address {
  /** Short, non-secret reference of the recipient within its message (r0, r1, …). */
  readonly rid: string;
  readonly kind: RecipientKind;
  /** base64url SHA-256 of the recipient's access token. */
  readonly tokenHash: string;
  readonly status: DeliveryStatus;
  readonly failureReason?: string;
  readonly notifiedAt?: string;
  readonly firstOpenedAt?: string;
  /** The last counted view: later parts of a large message are served for a while after it. */
  readonly lastOpenedAt?: string;
  /** UTC hour (YYYY-MM-DDTHH) of the last open that was written to the audit trail. */
  readonly lastOpenWindow?: string;
  readonly opens: number;
  /**
   * base64url SHA-256 of the recipient's link token (derived from the secret alone, without any
   * passcode): identifies the recipient and proves the link, so wrong passcodes and codes can be
   * counted against that recipient. Absent on messages sent before it existed.
   */
  readonly linkTokenHash?: string;
  /** The pending email code (single use), stored only as a hash. */
  readonly code?: { readonly hash: string; readonly expiresAt: string; readonly sentAt: string };
  /** Codes sent in the current window (resend limit). */
  readonly codeSends?: number;
  readonly codeWindowStart?: string;
  /** Wrong codes or passcodes in the current lockout window; 5 lock the recipient's pickup for 15 minutes. */
  readonly failures?: number;
  readonly lastFailureAt?: string;
  /** A short-lived grant (hash) that lets a verified recipient fetch the rest of a message (and reply). */
  readonly grant?: { readonly hash: string; readonly expiresAt: string };
  /** Replies this recipient sent (rate limit) and when the window began. */
  readonly replies?: number;
  readonly replyWindowStart?: string;
}

export type MessageState = 'active' | 'revoked';

/** The head item of a message: its commit point. Chunks without a head do not exist. */
export interface MessageHead {
  readonly id: string;
  readonly tenantId: string;
  readonly createdAt: string;
  readonly expiresAt: string;
  readonly state: MessageState;
  readonly revokedAt?: string;
  readonly recipients: readonly RecipientRecord[];
  readonly ciphertextBytes: number;
  readonly chunkCount: number;
  /** Views allowed per recipient; absent means unlimited. */
  readonly maxViews?: number;
  /** Where a secure reply goes (the tenant's reply-to address unless the sender gave one). */
  readonly replyTo?: string;
  /** Set once the expiry sweep has recorded the "expired" event. */
  readonly expiredAt?: string;
  /** The tenant's audit retention when the message was sent: its events are kept this long. */
  readonly auditRetentionDays?: number;
  /** What a recipient must prove beyond the link (absent: "none", as before the setting existed). */
  readonly verification?: VerificationPolicy;
  /** True when the sender set a passcode: it is mixed into each recipient's key (never stored). */
  readonly passcode?: boolean;
  /**
   * Who can open the message: "link" (only the secrets in the emails) or "message-center" (the
   * secrets are also kept, wrapped by KMS, for the recipient's inbox and emergency recovery).
   */
  readonly custody?: Custody;
  /** message-center custody: every recipient's 32-byte secret in rid order, wrapped by KMS in one call. */
  readonly wrappedSecrets?: Uint8Array;
  /** For a secure reply: the message it answers. */
  readonly inReplyTo?: string;
  /** Secure replies to this message (their message ids), oldest first. */
  readonly replyIds?: readonly string[];
  /** One-time recovery links issued by an admin (message-center custody only). */
  readonly recoveries?: readonly RecoveryGrant[];
}

export type Custody = 'link' | 'message-center';

/** A recovery link's record: its token hash and the secret it unlocks, wrapped under the link's own key. */
export interface RecoveryGrant {
  readonly tokenHash: string;
  /** AES-256-GCM of a recipient's secret under a key derived from the recovery secret (see docs/protocol.md). */
  readonly wrappedSecret: Uint8Array;
  readonly rid: string;
  readonly createdAt: string;
  readonly expiresAt: string;
  readonly usedAt?: string;
  readonly createdBy: string;
}

export const MESSAGE_EVENT_TYPES = [
  'created', 'notified', 'notify_failed', 'delivered', 'bounced', 'complained', 'code_sent', 'verification_failed', 'locked', 'verified',
  'opened', 'revealed', 'unwrapped', 'recovered', 'replied', 'expiry_changed', 'revoked', 'expired',
] as const;
export const TENANT_EVENT_TYPES = [
  'settings_changed', 'key_created', 'key_revoked', 'webhook_created', 'webhook_deleted',
] as const;
export const EVENT_TYPES = [...MESSAGE_EVENT_TYPES, ...TENANT_EVENT_TYPES] as const;
export type EventType = (typeof EVENT_TYPES)[number];
/** Kept for readability where only message events make sense. */
export type MessageEventType = (typeof MESSAGE_EVENT_TYPES)[number];

/**
 * One audit event. Message events carry `messageId`; tenant events (settings, keys, webhooks) do
 * not. Never holds a secret, token, key or message content.
 */
export interface AuditEvent {
  readonly tenantId: string;
  readonly type: EventType;
  /** When it happened (for mail feedback: when the mail service says it happened). */
  readonly at: string;
  /**
   * Who caused it: an API key ("key:<id>"), a recipient ("recipient:r0"), the send pipeline
   * ("system"), the operator CLI ("operator") or the mail service's feedback ("mail-service").
   */
  readonly actor: string;
  readonly messageId?: string;
  /**
   * A stable identity for an event that its source may report more than once (SES feedback is
   * delivered at least once): the same id at the same time is stored once.
   */
  readonly id?: string;
  readonly recipient?: string;
  readonly detail?: string;
  readonly sourceIp?: string;
  readonly userAgent?: string;
  /** settings_changed: the fields that changed, before and after (never a secret). */
  readonly before?: Readonly<Record<string, unknown>>;
  readonly after?: Readonly<Record<string, unknown>>;
  /** key_created / key_revoked / webhook_*: the non-secret id of the object. */
  readonly objectId?: string;
  /** How long the event is kept (the tenant's audit retention); not stored, only applied. */
  readonly retentionDays?: number;
}

/** An event for a message. */
export type MessageEvent = AuditEvent & { readonly messageId: string };

/** An event as stored: with its public id and the time it was recorded (the order of the tenant feed). */
export type StoredEvent = AuditEvent & { readonly eventId: string; readonly recordedAt: string };

export interface Attachment {
  readonly filename: string;
  readonly contentType: string;
  readonly content: Uint8Array;
}

/** What a sender asked for, validated at the edge. */
export interface OutboundMessage {
  readonly to: readonly Address[];
  readonly cc: readonly Address[];
  readonly subject: string;
  readonly text?: string;
  readonly html?: string;
  readonly attachments: readonly Attachment[];
  readonly expiresInDays?: number;
  /** Views allowed per recipient; absent means unlimited. */
  readonly maxViews?: number;
  readonly replyTo?: string;
  /** Overrides the tenant's verification policy for this message. */
  readonly verification?: VerificationPolicy;
  /** A passcode shared with recipients out of band (phone, SMS); mixed into their keys, never stored. */
  readonly passcode?: string;
}

export interface RecipientOutcome {
  readonly email: string;
  readonly status: 'notified' | 'failed';
  readonly reason?: string;
}

/** The 201 body of POST /v1/messages. Holds no secret, so it may be replayed for an Idempotency-Key. */
export interface SendReceipt {
  readonly id: string;
  readonly expiresAt: string;
  readonly recipients: readonly RecipientOutcome[];
}
