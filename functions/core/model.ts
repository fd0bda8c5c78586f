/** Domain types shared by core, adapters and routes. Plain data: no behaviour, no I/O. */

export interface TenantSettings {
  /** Default lifetime of a new message when the sender does not give one. */
  readonly defaultExpiryDays: number;
}

export interface Tenant {
  readonly id: string;
  readonly displayName: string;
  /** The From address of notification emails (an SES-verified identity in production). */
  readonly senderAddress: string;
  readonly settings: TenantSettings;
  readonly disabled?: boolean;
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
  /** UTC hour (YYYY-MM-DDTHH) of the last open that was written to the audit trail. */
  readonly lastOpenWindow?: string;
  readonly opens: number;
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
}

export type MessageEventType = 'created' | 'notified' | 'notify_failed' | 'opened' | 'revoked' | 'delivered' | 'bounced' | 'complained';

export interface MessageEvent {
  readonly messageId: string;
  readonly tenantId: string;
  readonly type: MessageEventType;
  readonly at: string;
  /**
   * Who caused it: an API key ("key:<id>"), a recipient ("recipient:r0"), the send pipeline
   * ("system") or the mail service's delivery feedback ("mail-service").
   */
  readonly actor: string;
  /**
   * A stable identity for an event that its source may report more than once (SES feedback is
   * delivered at least once): the same id at the same time is stored once.
   */
  readonly id?: string;
  readonly recipient?: string;
  readonly detail?: string;
  readonly sourceIp?: string;
  readonly userAgent?: string;
}

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
