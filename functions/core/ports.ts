/**
 * Ports: the small interfaces core needs from the outside world. Each has a real adapter in
 * functions/adapters/ and an in-memory fake in test/helpers/.
 */
import type {
  ApiKeyRecord, Address, MessageEvent, MessageHead, OutboundMessage, RecipientOutcome, SendReceipt, Tenant,
} from './model.ts';

export type Clock = () => Date;
/** Cryptographically secure random bytes. */
export type RandomBytes = (length: number) => Uint8Array;

/** Tenants and their API keys. */
export interface TenantDirectory {
  getTenant(tenantId: string): Promise<Tenant | undefined>;
  /** The key stored under `keyId`, if any; the caller compares hashes in constant time. */
  getApiKey(keyId: string): Promise<ApiKeyRecord | undefined>;
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
   * flood it. Returns undefined when the message is no longer available.
   */
  recordOpen(messageId: string, rid: string, now: Date, window: string): Promise<{ newWindow: boolean } | undefined>;
  /**
   * Marks the message revoked if it belongs to `tenantId` and is still active (one conditional
   * update): from then on every read refuses it. Returns the head's chunk count for the cleanup that
   * follows (deleteChunks), or undefined when the condition fails. Deletes nothing itself, so the
   * caller can record the revocation before the cleanup that may fail.
   */
  revoke(tenantId: string, messageId: string, now: Date): Promise<{ chunkCount: number } | undefined>;
  /** Deletes ciphertext chunks (used after revocation or a discarded send). */
  deleteChunks(messageId: string, chunkCount: number): Promise<void>;
}

/** Append-only audit events. */
export interface EventLog {
  append(events: readonly MessageEvent[]): Promise<void>;
  listForMessage(messageId: string): Promise<MessageEvent[]>;
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
  readonly assets: ReadonlyMap<string, WebAsset>;
}
