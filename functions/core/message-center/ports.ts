/**
 * Ports of Message Center: the recipient inbox (entries, sign-in codes, sessions) and the recovery
 * grants on message heads. Each has a DynamoDB adapter (functions/adapters/dynamodb-inbox-store.ts)
 * and an in-memory fake (test/helpers/inbox-fakes.ts) with the same conditional semantics.
 */
import type { RecoveryGrant } from '../messages/index.ts';

/** One inbox entry per recipient of a Message Center message, written at send time. */
export interface InboxEntryInput {
  readonly tenantId: string;
  /** As sent; the store keys entries by a hash of its lower-case form. */
  readonly email: string;
  readonly messageId: string;
  readonly rid: string;
  readonly createdAt: string;
  readonly expiresAt: string;
}

/** An inbox entry as listed: which message and which of its recipients. */
export interface InboxEntry {
  readonly messageId: string;
  readonly rid: string;
  readonly createdAt: string;
  /** The expiry when the message was sent (the head is the authority: it may have changed). */
  readonly expiresAt: string;
}

/** Limits of sign-in codes. */
export interface SignInLimits {
  /** How long a code is valid. */
  readonly codeTtlMs: number;
  /** At least this long between two codes for one address. */
  readonly resendIntervalMs: number;
  /** At most this many codes per address per `sendWindowMs`. */
  readonly maxSends: number;
  readonly sendWindowMs: number;
  /** This many wrong codes within `failureWindowMs` lock the address for `lockMs`. */
  readonly maxFailures: number;
  readonly failureWindowMs: number;
  readonly lockMs: number;
}

export const SIGN_IN_LIMITS: SignInLimits = {
  codeTtlMs: 10 * 60_000,
  resendIntervalMs: 30_000,
  maxSends: 5,
  sendWindowMs: 60 * 60_000,
  maxFailures: 5,
  failureWindowMs: 15 * 60_000,
  lockMs: 15 * 60_000,
};

/** What a code request did: only "issued" sends an email ("refused": too soon, over the hourly budget, or locked). The caller answers the same in every case. */
export type IssueOutcome = 'issued' | 'refused';
/** What a code check did. "wrong" covers a wrong, expired, used or never-issued code alike. */
export type RedeemOutcome = 'ok' | 'wrong' | 'locked';

/** A signed-in recipient's session as stored (under the hash of its token; the token is never stored). */
export interface InboxSession {
  readonly tokenHash: string;
  readonly tenantId: string;
  /** Lower case. */
  readonly email: string;
  readonly createdAt: string;
  readonly lastSeenAt: string;
  /** The absolute end of the session, whatever the activity. */
  readonly expiresAt: string;
}

/**
 * Inbox items: entries per (tenant, recipient address), sign-in codes and sessions. Every state
 * change is a single conditional write; reads return what is stored and callers check times.
 */
export interface InboxStore {
  /** Writes the entries of one message (batched). Throws DependencyError on failure. */
  putEntries(entries: readonly InboxEntryInput[]): Promise<void>;
  /** The address's entries with this tenant, newest first, at most `limit`. */
  listEntries(tenantId: string, email: string, limit: number): Promise<InboxEntry[]>;
  /**
   * Stores a new code (its hash) for the address, unless one was sent less than the resend interval
   * ago, the hourly budget is spent, or the address is locked. One conditional write per attempt.
   */
  issueCode(tenantId: string, email: string, codeHash: string, now: Date, limits?: SignInLimits): Promise<IssueOutcome>;
  /**
   * Uses the code if it matches, is unexpired and the address is not locked (the code is removed:
   * single use). Otherwise counts a failure, conditionally, so that parallel guesses cannot count
   * more than `maxFailures` in a window.
   */
  redeemCode(tenantId: string, email: string, codeHash: string, now: Date, limits?: SignInLimits): Promise<RedeemOutcome>;
  /** Stores a new session; false if its hash exists. */
  createSession(session: InboxSession): Promise<boolean>;
  /** The stored session, read consistently; the caller checks its timeouts. */
  getSession(tokenHash: string): Promise<InboxSession | undefined>;
  /**
   * Moves `lastSeenAt` to `now` if the session is still within its absolute and idle timeouts (one
   * conditional update). Returns the session after the update, or undefined when it has ended.
   */
  touchSession(tokenHash: string, now: Date, idleFloor: Date): Promise<InboxSession | undefined>;
  deleteSession(tokenHash: string): Promise<void>;
}

/** Recovery grants on message heads (the head item belongs to the message store; these two writes are ours). */
export interface RecoveryStore {
  /**
   * Appends a grant to the head's `recoveries` if the message belongs to `tenantId`, is active,
   * unexpired, in Message Center custody and has fewer than `cap` grants (one conditional update).
   */
  addRecovery(tenantId: string, messageId: string, grant: RecoveryGrant, now: Date, cap: number): Promise<boolean>;
  /**
   * Marks grant `index` used if it is the one with `tokenHash`, unused and unexpired, and the message
   * is active and unexpired (one conditional update): a recovery link opens a message once.
   */
  useRecovery(messageId: string, index: number, tokenHash: string, now: Date): Promise<boolean>;
}

/** The built inbox page (dist/web/inbox.html), when the web client includes it. */
export interface InboxAssets {
  readonly inboxPage?: string;
}
