/**
 * The port of pickup: the per-recipient state on a message's head that opening and verifying
 * change — views, email codes, failures and grants. The message store's adapter implements it
 * (functions/adapters/dynamodb/message-store.ts), because it is the same head item.
 */
import type { AuditEvent } from '../audit/index.ts';
import type { VerificationLimits } from './verification.ts';

/**
 * An open recorded together with its audit event, in one write: conditional on the count the
 * caller read, so that the view number (and the event) is decided before the write.
 */
export interface OpenAudit {
  /** The recipient's count and window as just read (the write is conditional on the count). */
  readonly expected: { readonly opens: number; readonly lastOpenWindow?: string };
  /** The event this open records (`views`: the recipient's count with it), if any. */
  event(views: number, newWindow: boolean): AuditEvent | undefined;
}

export interface PickupStore {
  /**
   * Counts an open for one recipient, only if the message is still active and unexpired at `now`
   * (a conditional update). `newWindow` is true for the first open of this recipient in `window`
   * (an opaque time bucket), which the caller records in the audit trail, so repeated opens cannot
   * flood it. With `maxViews`, the open counts only while the recipient has views left, so parallel
   * opens cannot exceed it. `views` is the recipient's count after this open. Returns undefined
   * when the message is no longer available (or the views are used up). The open and its event
   * are one write (OpenAudit).
   */
  recordOpen(messageId: string, rid: string, now: Date, window: string, maxViews: number | undefined, audit: OpenAudit): Promise<{ newWindow: boolean; views: number } | undefined>;
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
