/** Messages: a head (recipients, state, custody) and its ciphertext; what a sender asks for and gets back. Plain data. */
import type { Address, NotifyOutcome } from '../shared/index.ts';
import type { VerificationPolicy } from '../tenants/index.ts';

export type RecipientKind = 'to' | 'cc';
/** 'sender': the sender delivers this recipient's link itself (a sealed upload with deliverLinksMyself). */
export type DeliveryStatus = 'pending' | 'notified' | 'failed' | 'sender';

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

/** The stored state; "expired" is derived from the time (messages/admin.ts stateOf). */
export type StoredState = 'active' | 'revoked';

/** The head item of a message: its commit point. Chunks without a head do not exist. */
export interface MessageHead {
  readonly id: string;
  readonly tenantId: string;
  readonly createdAt: string;
  readonly expiresAt: string;
  readonly state: StoredState;
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
  /**
   * Where the ciphertext is when it is not in the table's chunks: parts (objects) in the blob store
   * (S3), with their sizes in order. A sealed upload's message; `chunkCount` is then 0.
   */
  readonly blob?: { readonly parts: readonly number[] };
  /** message-center custody: every recipient's 32-byte secret in rid order, wrapped by KMS in one call. */
  readonly wrappedSecrets?: Uint8Array;
  /**
   * message-center custody: the custody key, wrapped by KMS under its own context (purpose
   * `message-center-recovery`). Its base64url form is the password of one more SKESK of the
   * message, so a recovery opens the message without any recipient's secret. Absent on messages
   * sent before it existed.
   */
  readonly wrappedCustodyKey?: Uint8Array;
  /**
   * The sender's short label for recipients to tell messages apart ("Lab results, March"). Stored
   * and shown in the clear (the inbox list, the console, the API), never in the sealed message or
   * the notification email; absent when the sender gave none.
   */
  readonly label?: string;
  /** What the sender attached, counted at send (absent on messages sent before it was kept). */
  readonly attachments?: AttachmentSummary;
  /** For a secure reply: the message it answers. */
  readonly inReplyTo?: string;
  /**
   * For a secure reply: who wrote it — a recipient answering the organisation ("recipient", also
   * what a reply without this field is) or the organisation answering a recipient's reply ("tenant").
   */
  readonly replyFrom?: ReplyAuthor;
  /** Secure replies to this message (their message ids), oldest first. */
  readonly replyIds?: readonly string[];
  /** One-time recovery links issued by an admin (message-center custody only). */
  readonly recoveries?: readonly RecoveryGrant[];
}

export type Custody = 'link' | 'message-center';

/** Who wrote a secure reply: a recipient (to the organisation) or the organisation (to a recipient). */
export type ReplyAuthor = 'recipient' | 'tenant';

/** How many files a message carries and their decoded size in bytes: metadata the server saw at send. */
export interface AttachmentSummary {
  readonly count: number;
  readonly bytes: number;
}

/** The attachments of `attachments`, counted. */
export function summarizeAttachments(attachments: readonly { readonly content: Uint8Array }[]): AttachmentSummary {
  return { count: attachments.length, bytes: attachments.reduce((sum, a) => sum + a.content.length, 0) };
}

/** Who wrote `head`: the organisation for a message it sent, else the reply's author. */
export function authorOf(head: Pick<MessageHead, 'inReplyTo' | 'replyFrom'>): ReplyAuthor {
  return head.inReplyTo === undefined ? 'tenant' : head.replyFrom ?? 'recipient';
}

/** A recovery link's record: its token hash and the key it unlocks, wrapped under the link's own key. */
export interface RecoveryGrant {
  readonly tokenHash: string;
  /** AES-256-GCM of the unlocked key under a key derived from the recovery secret (see docs/protocol.md). */
  readonly wrappedSecret: Uint8Array;
  /**
   * What `wrappedSecret` holds: the message's custody key ("custody"), or — for a message sent
   * before custody keys existed — the secret of recipient `rid` (absent: "recipient").
   */
  readonly unlocks?: 'custody' | 'recipient';
  /** The recipient whose secret a "recipient" grant holds. */
  readonly rid?: string;
  readonly createdAt: string;
  readonly expiresAt: string;
  readonly usedAt?: string;
  readonly createdBy: string;
}

export interface Attachment {
  readonly filename: string;
  readonly contentType: string;
  readonly content: Uint8Array;
}

/**
 * True for `message/*` and `multipart/*`: types that are not files to a mail reader. A MIME writer
 * puts a `message/rfc822` part inline, unencoded, and readers show it as part of the body that
 * carries it (its HTML and its From included); a `multipart/*` part is structure, so its content
 * is lost. Such an attachment is sealed as opaque bytes (application/octet-stream), and a reply
 * may not carry one at all.
 */
export function isMimeContainerType(contentType: string): boolean {
  return /^(?:message|multipart)\//i.test(contentType.trim());
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
  /** A short label stored in the clear for recipients' inbox lists (MessageHead.label). */
  readonly label?: string;
}

export interface RecipientOutcome {
  readonly email: string;
  /** 'sender': sealpost sent nothing; the sender delivers the link (deliverLinksMyself). */
  readonly status: NotifyOutcome['status'] | 'sender';
  readonly reason?: string;
}

/** The 201 body of POST /v1/messages. Holds no secret, so it may be replayed for an Idempotency-Key. */
export interface SendReceipt {
  readonly id: string;
  readonly expiresAt: string;
  readonly recipients: readonly RecipientOutcome[];
}


/** Every part of a message in the blob store but the last has exactly this size: 4 MiB, so a part is one request anywhere. */
export const UPLOAD_PART_BYTES = 4 * 1024 * 1024;

/** How many parts a sealed message of `bytes` bytes has in the blob store, and the size of each. */
export function partLayout(bytes: number): number[] {
  const count = Math.max(1, Math.ceil(bytes / UPLOAD_PART_BYTES));
  return Array.from({ length: count }, (_, i) => Math.min(UPLOAD_PART_BYTES, bytes - i * UPLOAD_PART_BYTES));
}

/**
 * The largest sealed message the table keeps itself (in its chunks); a larger one sealed by the
 * server goes to the blob store, like a sealed upload. Chosen by cost (docs/storage-costs.md): a
 * kilobyte in the table costs a write unit ($0.000000625, twice that in a transaction) and is kept at
 * $0.25 per GB-month, an object in S3 costs one PUT ($0.000005) and one GET whatever its size and is
 * kept at $0.023; past about 8 KB the object is cheaper. Up to 16 KiB a message stays one request for
 * its recipient, and every size stays within twice what SES alone charges to email it (npm run bench).
 */
export const TABLE_CIPHERTEXT_MAX_BYTES = 16 * 1024;
