/** Ports of messages: the store (head and ciphertext chunks), the blob store of sealed uploads, idempotency and sealing. */
import type { Address } from '../shared/index.ts';
import type { AuditEvent } from '../audit/index.ts';
import type { Tenant } from '../tenants/index.ts';
import type { MessageHead, OutboundMessage, SendReceipt } from './model.ts';

/** A tenant read together with something else: its id, and the tenant (undefined: there is none). */
export interface TenantRead {
  readonly id: string;
  readonly value: Tenant | undefined;
}

/** A head before storage: the store decides how the ciphertext is chunked. */
export type NewMessageHead = Omit<MessageHead, 'chunkCount' | 'ciphertextBytes'>;

/**
 * Messages: head items and ciphertext chunks. Every write is a single conditional write; the head
 * is written last, conditionally, and is the commit point.
 */
export interface MessageStore {
  /**
   * Stores chunks, then the head (fails if the id exists) with `events` (its `created` event) and,
   * for a Message Center message, its recipients' inbox entries in the same write: all or nothing. Throws DependencyError on failure. A head with `blob` has its
   * ciphertext in the blob store already: only the head is written (no `ciphertext` is given).
   */
  create(head: NewMessageHead, ciphertext?: Uint8Array, events?: readonly AuditEvent[]): Promise<void>;
  /** The head as stored, without any expiry/state check: callers check those themselves. */
  getHead(messageId: string): Promise<MessageHead | undefined>;
  /**
   * The head as getHead reads it and, when the whole ciphertext is part 0 of one chunk, that part
   * (readPart(head, 0)), in one read: all an open of a small message needs. With `tenantId` (the
   * tenant the pickup page named: a hint, never trusted), that tenant as TenantDirectory.getTenant
   * reads it, in the same read (`tenant`, whose `value` is undefined when there is none).
   */
  readForOpen(messageId: string, tenantId?: string): Promise<{ head?: MessageHead; firstPart?: Uint8Array; tenant?: TenantRead }>;
  /**
   * How many parts a pickup downloads. Each part fits one Lambda response (≤ 6 MB once base64
   * encoded), so a 4 MiB message is fetched in two requests rather than failing in one.
   */
  partCount(head: MessageHead): number;
  /** Reads part `index` (0-based) of the ciphertext. Throws if a chunk is missing (treated as unavailable). */
  readPart(head: MessageHead, index: number): Promise<Uint8Array>;
  /** Records per-recipient delivery outcomes (one conditional update of the head) and `events`, their audit events, in the same write. */
  recordDelivery(messageId: string, outcomes: readonly { rid: string; status: 'notified' | 'failed' | 'sender'; reason?: string; at: string }[], events?: readonly AuditEvent[]): Promise<void>;
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
  /**
   * Whether `password` opens one of the session-key packets (`sessionKeyPackets`: an OpenPGP
   * message of only SKESKs): then a fingerprint of the session key it yields (SHA-256, hex: equal
   * fingerprints, equal keys), else undefined. Decrypts no content.
   */
  unlock(sessionKeyPackets: Uint8Array, password: string): Promise<string | undefined>;
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
 * What Message Center adds to a send (message-center/custody.ts implements it): a custody key the
 * message is also sealed for (so a recovery needs no recipient's secret) and the recipients' secrets,
 * both kept under the key service before anything is stored. (The inbox entries are written with the
 * head: MessageStore.create.)
 */
export interface SecretCustody {
  /** A fresh custody key for message `messageId`: the password to seal for, and its wrapped form for the head. Throws when the key service fails. */
  drawKey(tenantId: string, messageId: string): Promise<{ readonly password: string; readonly wrapped: Uint8Array }>;
  /** The recipients' secrets (32 bytes each, in rid order), wrapped in one call. Throws when the key service fails. */
  keepSecrets(tenantId: string, messageId: string, secrets: readonly Uint8Array[]): Promise<Uint8Array>;
}

/** One part of a sealed upload as its sender declares it: its size and SHA-256 (base64). */
export interface PartDeclaration {
  readonly bytes: number;
  readonly sha256: string;
}

/** How the sender puts one part: a URL that accepts exactly that part, and the headers to send with it. */
export interface PartUpload {
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
}

/**
 * The ciphertext of sealed uploads, as numbered parts (objects) outside the table (S3). A part is
 * written only by its sender, through a URL that accepts exactly the declared size and checksum; it
 * stays "pending" (and expires) until its message is committed.
 */
export interface BlobStore {
  /** A URL for the sender to PUT part `index` of message `messageId`, valid `expiresInSeconds`. */
  uploadUrl(messageId: string, index: number, part: PartDeclaration, expiresInSeconds: number): Promise<PartUpload>;
  /**
   * Writes part `index` of a message sealed by the server (committed at once: its head is written
   * next, and a failed head write deletes it). Write-once like a sender's part. DependencyError on failure.
   */
  write(messageId: string, index: number, bytes: Uint8Array): Promise<void>;
  /** The bytes of part `index`, in chunks as they arrive, or undefined when there is no such part. */
  read(messageId: string, index: number): Promise<AsyncIterable<Uint8Array> | undefined>;
  /** Marks `parts` parts committed, so they no longer expire as an unfinished upload. */
  commit(messageId: string, parts: number): Promise<void>;
  /** Marks `parts` parts pending again (a commit whose head was not written), so they expire as an unfinished upload's do. */
  uncommit(messageId: string, parts: number): Promise<void>;
  /** Deletes `parts` parts (an aborted upload, a revoked or expired message). */
  delete(messageId: string, parts: number): Promise<void>;
}

/** Where a recipient's browser fetches the parts of a message in the blob store. */
export interface BlobDownloads {
  /** A same-origin URL (path and query) to GET part `index`, valid `expiresInSeconds`. */
  downloadUrl(messageId: string, index: number, expiresInSeconds: number): Promise<string>;
}

/** An open sealed upload: the message it will become, until it is completed or expires. */
export interface UploadRecord {
  /** The message id (the upload is the message before its head exists). */
  readonly id: string;
  readonly tenantId: string;
  readonly createdAt: string;
  /** When an unfinished upload is given up (its pending parts expire in the blob store). */
  readonly expiresAt: string;
  /** How many recipients the message is sealed for: one SKESK each. */
  readonly recipients: number;
  /** The sealed size, which fixes the part layout (messages/upload.ts partLayout); declared once, with the first part URLs. */
  readonly bytes?: number;
  /** The composite SHA-256 of the parts (base64), declared with `bytes`. */
  readonly sha256?: string;
  /** Message Center: the custody key the sender seals for, wrapped by KMS (see message-center/custody.ts)… */
  readonly wrappedCustodyKey?: Uint8Array;
  /** …and a hash of its password, which the sender gives back at completion (never the password itself). */
  readonly custodyPasswordHash?: string;
  /** `completing`: one request holds it while it checks and commits. */
  readonly state: 'open' | 'completing' | 'committed';
  /** While `completing`: when it was claimed. A claim older than UPLOAD_CLAIM_LEASE_MS is another request's to take over. */
  readonly claimedAt?: string;
}

/** Open uploads. Every change is one conditional write on the tenant's own upload. */
export interface UploadStore {
  /** Stores a new upload; false if the id exists. */
  create(upload: UploadRecord): Promise<boolean>;
  get(id: string): Promise<UploadRecord | undefined>;
  /**
   * Fixes the sealed size and checksum of an open, unexpired upload of the tenant, once: true when
   * they are now what is given (set by this call or an earlier one with the same values), false
   * when the upload is not open or was declared otherwise.
   */
  declare(tenantId: string, id: string, bytes: number, sha256: string, now: Date): Promise<boolean>;
  /**
   * Takes an unexpired upload of the tenant for completion, recording `now` as `claimedAt`, with one
   * conditional write: an open one (open → completing), or one whose claim is older than
   * UPLOAD_CLAIM_LEASE_MS (or has no `claimedAt`) — a request that died holding it. False otherwise.
   */
  claim(tenantId: string, id: string, now: Date): Promise<boolean>;
  /** Gives a claimed upload back (completing → open) after a completion that failed before its commit. */
  release(tenantId: string, id: string): Promise<void>;
  /** Records that the upload became a message (completing → committed). */
  finish(tenantId: string, id: string): Promise<void>;
  /** Forgets an open upload of the tenant; false when there is none. */
  abort(tenantId: string, id: string): Promise<boolean>;
}
