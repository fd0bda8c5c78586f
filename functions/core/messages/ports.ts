/** Ports of messages: the store (head and ciphertext chunks), idempotency and sealing. */
import type { Address } from '../shared/index.ts';
import type { MessageHead, OutboundMessage, SendReceipt } from './model.ts';

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
}

export type IdempotencyBegin =
  /** `claim`: this request's hold on the key, for release (a store that can tell claims apart). */
  | { readonly state: 'new'; readonly claim?: string }
  | { readonly state: 'done'; readonly receipt: SendReceipt }
  | { readonly state: 'in-flight' }
  | { readonly state: 'mismatch' };

/** Idempotency records for POST /v1/messages, keyed by tenant and a hash of the key. */
export interface IdempotencyStore {
  /**
   * Claims the key with one conditional put, or reports what an earlier request left. A claim whose
   * answer was lost but which did land is this request's own ('new'), not another's ('in-flight').
   */
  begin(tenantId: string, keyHash: string, requestHash: string, now: Date): Promise<IdempotencyBegin>;
  complete(tenantId: string, keyHash: string, receipt: SendReceipt): Promise<void>;
  /** Frees a claimed key after a failure that changed nothing, so the sender may retry; with `claim`, only that claim. */
  release(tenantId: string, keyHash: string, claim?: string): Promise<void>;
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

/** The custody fields of a new head: what the send path spreads into it. */
export type CustodyHeadFields =
  | { readonly custody: 'message-center'; readonly wrappedSecrets: Uint8Array; readonly wrappedCustodyKey: Uint8Array }
  | { readonly custody: 'link' };

/**
 * What Message Center adds to a send (message-center/custody.ts implements it): the recipients'
 * secrets and a custody key kept under the key service before anything is sealed or stored, and
 * the inbox entries after the head is committed.
 */
export interface SecretCustody {
  /**
   * The head fields that keep `secrets` (32 bytes each, in rid order), and the extra passwords the
   * message must be sealed for (the custody key, for recovery). Throws when the key service fails.
   */
  keep(tenantId: string, messageId: string, secrets: readonly Uint8Array[]): Promise<{ readonly fields: CustodyHeadFields; readonly passwords: readonly string[] }>;
  /** Lists a committed message in its recipients' inboxes. Throws on failure (the caller logs it: the link still opens it). */
  list(head: NewMessageHead): Promise<void>;
}
