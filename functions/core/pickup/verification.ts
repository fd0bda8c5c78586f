/**
 * Verification beyond the link: the rules and the pure pieces of email codes, grants and lockout.
 * The counted, rate-limited path that applies them is recipient-auth.ts; the conditional writes
 * that enforce them under concurrency are the MessageStore's (issueCode, recordFailure, consumeCode).
 */
import { sha256Base64Url, toBase64Url, type RandomBytes } from '../shared/index.ts';
import type { MessageHead, RecipientRecord } from '../messages/index.ts';

const MINUTE_MS = 60_000;

/** The limits, in one place (docs/protocol.md §5.4 states them). */
export const VERIFICATION_POLICY = {
  /** A code works this long after it was sent. */
  codeTtlMs: 10 * MINUTE_MS,
  /** Wrong codes or passcodes within `lockMs` of each other that lock the recipient's pickup. */
  maxFailures: 5,
  /** How long a lock lasts after the last wrong answer; failures older than this are forgotten. */
  lockMs: 15 * MINUTE_MS,
  /** At least this long between two codes. */
  resendIntervalMs: 30_000,
  /** At most `maxSends` codes per `sendWindowMs`. */
  maxSends: 5,
  sendWindowMs: 60 * MINUTE_MS,
  /** A grant (proof of a verified pickup) works this long. */
  grantTtlMs: 10 * MINUTE_MS,
} as const;

export type VerificationLimits = typeof VERIFICATION_POLICY;

export const CODE_PATTERN = /^\d{6}$/;
const CODE_SPACE = 1_000_000;
/** The largest multiple of 10^6 that fits in 32 bits: values at or above it are drawn again. */
const UNBIASED_LIMIT = Math.floor(2 ** 32 / CODE_SPACE) * CODE_SPACE;

/**
 * A 6-digit code, uniform over 000000–999999: 32 random bits, redrawn when they fall in the
 * incomplete last block (rejection sampling), so `value % 10^6` has no modulo bias.
 */
export function generateCode(random: RandomBytes): string {
  for (;;) {
    const bytes = random(4);
    const value = (((bytes[0] ?? 0) << 24) >>> 0) + ((bytes[1] ?? 0) << 16) + ((bytes[2] ?? 0) << 8) + (bytes[3] ?? 0);
    if (value < UNBIASED_LIMIT) return String(value % CODE_SPACE).padStart(6, '0');
  }
}

/** The stored form of a code: bound to its message and recipient, so a hash is useless elsewhere. */
export function hashCode(messageId: string, rid: string, code: string): Promise<string> {
  return sha256Base64Url(`${messageId}\n${rid}\n${code}`);
}

/** A grant: 32 random bytes, base64url. Stored only as its SHA-256 (like a token). */
export function newGrant(random: RandomBytes): string {
  return toBase64Url(random(32));
}

/** "alice@example.com" → "a•••@example.com": enough for the recipient to recognise, little for anyone else. */
export function maskEmail(email: string): string {
  const at = email.lastIndexOf('@');
  const local = at > 0 ? email.slice(0, at) : email;
  return `${Array.from(local)[0] ?? ''}•••${at > 0 ? email.slice(at) : ''}`;
}

const ms = (iso: string | undefined): number => (iso === undefined ? Number.NaN : Date.parse(iso));

/** True while the recipient has `maxFailures` wrong answers and the last is less than `lockMs` old. */
export function isLocked(recipient: RecipientRecord, now: Date, limits: VerificationLimits = VERIFICATION_POLICY): boolean {
  return (recipient.failures ?? 0) >= limits.maxFailures && now.getTime() - ms(recipient.lastFailureAt) < limits.lockMs;
}

/** Whole seconds until a lock ends (at least 1). */
export function lockRetryAfter(recipient: RecipientRecord, now: Date, limits: VerificationLimits = VERIFICATION_POLICY): number {
  return Math.max(1, Math.ceil((ms(recipient.lastFailureAt) + limits.lockMs - now.getTime()) / 1000));
}

/** Wrong answers left before the lock, given the failures counted so far (in the current window). */
export function attemptsLeft(failures: number, limits: VerificationLimits = VERIFICATION_POLICY): number {
  return Math.max(0, limits.maxFailures - failures);
}

/**
 * Seconds until the recipient may be sent another code, or 0 when one may be sent now: at least
 * `resendIntervalMs` after the last code, and at most `maxSends` in a window of `sendWindowMs`.
 */
export function resendRetryAfter(recipient: RecipientRecord, now: Date, limits: VerificationLimits = VERIFICATION_POLICY): number {
  const t = now.getTime();
  let until = 0;
  const sentAt = ms(recipient.code?.sentAt);
  if (t - sentAt < limits.resendIntervalMs) until = sentAt + limits.resendIntervalMs;
  const windowStart = ms(recipient.codeWindowStart);
  if ((recipient.codeSends ?? 0) >= limits.maxSends && t - windowStart < limits.sendWindowMs) until = Math.max(until, windowStart + limits.sendWindowMs);
  return until > t ? Math.ceil((until - t) / 1000) : 0;
}

/** How long after a counted view the later parts of a view-limited message may be fetched (and a reply sent). */
export const PART_WINDOW_MS = 10 * MINUTE_MS;

/** True within PART_WINDOW_MS after the recipient's last counted view. */
export function withinPartWindow(lastOpenedAt: string | undefined, now: Date): boolean {
  const at = ms(lastOpenedAt);
  return at <= now.getTime() && now.getTime() - at < PART_WINDOW_MS;
}

/**
 * The one availability rule of a recipient beyond the message's own (active, unexpired, tenant
 * enabled), for every action — open, code, reply: a view left, or the part window of the view just
 * counted (so the rest of a large message and a reply written after reading still go through). A
 * message without a view limit always has a view left.
 */
export function hasViewOrWindow(head: Pick<MessageHead, 'maxViews'>, recipient: RecipientRecord, now: Date): boolean {
  return head.maxViews === undefined || recipient.opens < head.maxViews || withinPartWindow(recipient.lastOpenedAt, now);
}
