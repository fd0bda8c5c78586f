/**
 * Ports: the small interfaces core needs from the outside world. Each has a real adapter in
 * functions/adapters/ and an in-memory fake in test/helpers/.
 */
import type {
  ApiKeyRecord, Address, AuditEvent, EventType, LogoRef, MessageHead, OutboundMessage, RecipientOutcome, SendReceipt, StoredEvent, Tenant,
  TenantSettings,
} from './model.ts';
import type { VerificationLimits } from './verification.ts';

export type Clock = () => Date;
/** Cryptographically secure random bytes. */
export type RandomBytes = (length: number) => Uint8Array;

/** Tenants and their API keys, as request paths read them. */
export interface TenantDirectory {
  getTenant(tenantId: string): Promise<Tenant | undefined>;
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

/** A head before storage: the store decides how the ciphertext is chunked. */
export type NewMessageHead = Omit<MessageHead, 'chunkCount' | 'ciphertextBytes'>;

/**
 * Messages: head items and ciphertext chunks. Every write is a single conditional write; the head
 * is written last, conditionally, and is the commit point.
 */
export interface MessageStore {
  /** Stores chunks, then the head (fails if the id exists). Throws DependencyError on failure. */
  create(head: NewMessageHead, ciphertext: Uint8Array): Promise<void>;
  /** The head as stored, without any expiry/state check: callers check those themselves. */
  getHead(messageId: string): Promise<MessageHead | undefined>;
  /**
   * How many parts a pickup downloads. Each part fits one Lambda response (≤ 6 MB once base64
   * encoded), so a 4 MiB message is fetched in two requests rather than failing in one.
   */
  partCount(head: MessageHead): number;
  /** Reads part `index` (0-based) of the ciphertext. Throws if a chunk is missing (treated as unavailable). */
  readPart(head: MessageHead, index: number): Promise<Uint8Array>;
  /** Records per-recipient delivery outcomes (one conditional update of the head). */
  recordDelivery(messageId: string, outcomes: readonly { rid: string; status: 'notified' | 'failed'; reason?: string; at: string }[]): Promise<void>;
  /**
   * Counts an open for one recipient, only if the message is still active and unexpired at `now`
   * (a conditional update). `newWindow` is true for the first open of this recipient in `window`
   * (an opaque time bucket), which the caller records in the audit trail, so repeated opens cannot
   * flood it. With `maxViews`, the open counts only while the recipient has views left, so parallel
   * opens cannot exceed it. `views` is the recipient's count after this open. Returns undefined
   * when the message is no longer available (or the views are used up).
   */
  recordOpen(messageId: string, rid: string, now: Date, window: string, maxViews?: number): Promise<{ newWindow: boolean; views: number } | undefined>;
  /**
   * Marks the message revoked if it belongs to `tenantId` and is still active (one conditional
   * update): from then on every read refuses it. Returns the head's chunk count for the cleanup that
   * follows (deleteChunks), or undefined when the condition fails. Deletes nothing itself, so the
   * caller can record the revocation before the cleanup that may fail.
   */
  revoke(tenantId: string, messageId: string, now: Date): Promise<{ chunkCount: number } | undefined>;
  /** Deletes ciphertext chunks (used after revocation or a discarded send). */
  deleteChunks(messageId: string, chunkCount: number): Promise<void>;
  /** The tenant's messages, newest first, a page at a time (`before`: the cursor of the previous page). */
  listForTenant(tenantId: string, query: { before?: string; limit: number }): Promise<{ heads: MessageHead[]; cursor?: string }>;
  /**
   * Moves the expiry of an active, unexpired message of `tenantId` (the ciphertext's deletion time
   * moves with it). Returns false when the message is not (or no longer) changeable.
   */
  setExpiry(tenantId: string, messageId: string, expiresAt: Date, now: Date): Promise<boolean>;
  /** Active messages whose expiry has passed and is not yet recorded, oldest first. */
  listNewlyExpired(now: Date, limit: number): Promise<MessageHead[]>;
  /** Records that a message expired (once: a conditional write); false if already recorded or not expired. */
  markExpired(messageId: string, now: Date): Promise<boolean>;
  /*
   * Verification (docs/protocol.md §5.4). Each is one conditional write on the head, so concurrent
   * requests cannot together exceed a limit; every one also requires the message to be active and
   * unexpired at `now`. "Not locked" means fewer than `limits.maxFailures` failures, or the last one
   * at least `limits.lockMs` ago.
   */
  /**
   * Stores a new email code (its hash; it replaces any pending one) if the recipient is not locked,
   * the last code was sent at least `resendIntervalMs` ago, and fewer than `maxSends` codes were sent
   * in the current `sendWindowMs` window (a window older than that starts over). False when refused.
   */
  issueCode(messageId: string, rid: string, code: { hash: string; expiresAt: string }, now: Date, limits: VerificationLimits): Promise<boolean>;
  /**
   * Counts a wrong code or passcode: `failures + 1` and `lastFailureAt = now`, or `failures = 1` when
   * the last failure is at least `lockMs` old. Refused (undefined) once the recipient is locked, so
   * parallel guesses get at most `maxFailures` answers. Returns the failures counted now.
   */
  recordFailure(messageId: string, rid: string, now: Date, limits: VerificationLimits): Promise<number | undefined>;
  /**
   * Uses up the pending code whose hash is `codeHash` (still unexpired, recipient not locked): removes
   * it, resets the failures and stores `grant` (its hash). False when the code is no longer there —
   * so of parallel right answers exactly one wins.
   */
  consumeCode(messageId: string, rid: string, codeHash: string, grant: { hash: string; expiresAt: string }, now: Date, limits: VerificationLimits): Promise<boolean>;
  /** Stores a grant (its hash) for a recipient verified another way (a Message Center sign-in). */
  storeGrant(messageId: string, rid: string, grant: { hash: string; expiresAt: string }, now: Date): Promise<boolean>;
  /**
   * A right passcode is accepted only by this conditional write (it records when), which fails
   * while the recipient is locked: a burst of parallel guesses cannot outrun the lockout.
   */
  confirmUnlocked(messageId: string, rid: string, now: Date, limits: VerificationLimits): Promise<boolean>;
}

export interface EventQuery {
  /** Only events recorded at or after this ISO time. */
  readonly since?: string;
  /** Only events recorded before this ISO time (the webhook dispatcher's settle window). */
  readonly until?: string;
  /** Only these types. */
  readonly types?: readonly EventType[];
  /** Continue after this position (the `cursor` of an earlier page). */
  readonly after?: string;
  readonly limit: number;
}

export interface EventPage {
  /** Oldest first. */
  readonly events: readonly StoredEvent[];
  /**
   * The position after the last event looked at (also past events the type filter skipped): pass it
   * as `after` to continue, now or later. Absent only when nothing at all was looked at.
   */
  readonly cursor?: string;
  /** True when the page stopped at `limit` and more events may follow right away. */
  readonly hasMore: boolean;
}

/** Append-only audit events: per message and per tenant (in the order they were recorded). */
export interface EventLog {
  append(events: readonly AuditEvent[]): Promise<void>;
  listForMessage(messageId: string): Promise<StoredEvent[]>;
  listForTenant(tenantId: string, query: EventQuery): Promise<EventPage>;
}

export type IdempotencyBegin =
  | { readonly state: 'new' }
  | { readonly state: 'done'; readonly receipt: SendReceipt }
  | { readonly state: 'in-flight' }
  | { readonly state: 'mismatch' };

/** Idempotency records for POST /v1/messages, keyed by tenant and a hash of the key. */
export interface IdempotencyStore {
  /** Claims the key with one conditional put, or reports what an earlier request left. */
  begin(tenantId: string, keyHash: string, requestHash: string, now: Date): Promise<IdempotencyBegin>;
  complete(tenantId: string, keyHash: string, receipt: SendReceipt): Promise<void>;
  /** Frees a claimed key after a failure that changed nothing, so the sender may retry. */
  release(tenantId: string, keyHash: string): Promise<void>;
}

/** Encrypts once for many passwords (OpenPGP, RFC 9580). */
export interface Sealer {
  seal(plaintext: Uint8Array, passwords: readonly string[]): Promise<Uint8Array>;
  open(ciphertext: Uint8Array, password: string): Promise<Uint8Array>;
}

/** What becomes the RFC 5322 plaintext. */
export interface MailToSeal extends OutboundMessage {
  readonly from: Address;
  readonly date: Date;
  readonly messageId: string;
}

/** Renders a message as RFC 5322 MIME bytes. */
export interface MimeComposer {
  compose(mail: MailToSeal): Promise<Uint8Array>;
}

/** A pickup notification for one recipient. Carries the link (with its secret) and nothing of the content. */
export interface PickupNotification {
  /** Which message and recipient this is for, so delivery events (bounces…) can be traced back. Not secret. */
  readonly reference: { readonly messageId: string; readonly rid: string };
  readonly from: Address;
  readonly to: Address;
  /** The tenant's reply-to address, so a reply to the notification reaches a person. */
  readonly replyTo?: string;
  readonly subject: string;
  readonly text: string;
  readonly html: string;
}

export interface Notifier {
  /** Sends one notification; resolves with the outcome instead of throwing for a rejected recipient. */
  send(notification: PickupNotification): Promise<Omit<RecipientOutcome, 'email'>>;
}

/** Structured logger. Callers pass only non-secret fields. */
export interface Logger {
  info(event: string, fields?: Record<string, unknown>): void;
  warn(event: string, fields?: Record<string, unknown>): void;
  error(event: string, fields?: Record<string, unknown>): void;
}

export interface WebAsset {
  readonly body: Uint8Array;
  readonly contentType: string;
}

/** The built web client (dist/web): the pickup page and its static assets by file name. */
export interface WebAssets {
  readonly pickupPage: string;
  /** The admin console page (/admin), when built. */
  readonly adminPage?: string;
  readonly assets: ReadonlyMap<string, WebAsset>;
}

/**
 * Envelope encryption of small secrets with a managed key (KMS): `context` is bound to the result,
 * so a wrapped value moved to another object (another tenant, message or purpose) fails to unwrap.
 */
export interface KeyWrapper {
  wrap(plaintext: Uint8Array, context: Readonly<Record<string, string>>): Promise<Uint8Array>;
  /** Throws DependencyError when KMS fails, and for a wrong context or tampered value. */
  unwrap(wrapped: Uint8Array, context: Readonly<Record<string, string>>): Promise<Uint8Array>;
}
