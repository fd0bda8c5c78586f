/** Time rules. Every read checks expiry itself: DynamoDB TTL deletes items up to days late. */

export const MIN_EXPIRY_DAYS = 1;
export const MAX_EXPIRY_DAYS = 90;
export const DEFAULT_EXPIRY_DAYS = 14;
/** The most views a message may allow each recipient (maxViews). */
export const MAX_VIEWS = 1000;
/** Audit events outlive the ciphertext: kept for the tenant's retention, by default 6 years. */
export const EVENT_RETENTION_DAYS = 6 * 365 + 2;
/** The range a tenant may choose for its audit retention: at least a year, at most ten. */
export const MIN_RETENTION_DAYS = 365;
export const MAX_RETENTION_DAYS = 3653;
/** After expiry, the head lingers this long so senders still see the status of an expired message. */
export const HEAD_GRACE_DAYS = 30;

const DAY_MS = 24 * 60 * 60 * 1000;

export function addDays(from: Date, days: number): Date {
  return new Date(from.getTime() + days * DAY_MS);
}

/** DynamoDB TTL value (epoch seconds) for an item that may be deleted at `at`. */
export function ttlFor(at: Date): number {
  return Math.ceil(at.getTime() / 1000);
}

/** True when `expiresAt` is past at `now`, or unreadable: a read fails closed. */
export function isExpired(expiresAt: string, now: Date): boolean {
  return !(Date.parse(expiresAt) > now.getTime());
}

const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];

/**
 * An expiry as notification emails state it: `December 20, 2026 at 8:05 PM UTC` — what
 * Intl.DateTimeFormat('en-US', { dateStyle: 'long', timeStyle: 'short', timeZone: 'UTC' }) writes,
 * without its cost: building the first formatter loads ICU's locale data, about 10 ms of a cold
 * start's first send, and ICU versions differ in the space before AM/PM.
 */
export function formatUtcExpiry(at: Date): string {
  const hour = at.getUTCHours();
  const minutes = String(at.getUTCMinutes()).padStart(2, '0');
  return `${MONTHS[at.getUTCMonth()]} ${at.getUTCDate()}, ${at.getUTCFullYear()} at ${hour % 12 || 12}:${minutes} ${hour < 12 ? 'AM' : 'PM'} UTC`;
}
