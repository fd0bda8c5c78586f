/** Audit events: what happened to a message or a tenant, by whom. Plain data. */

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
