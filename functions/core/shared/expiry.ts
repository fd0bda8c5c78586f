/** Time rules. Every read checks expiry itself: DynamoDB TTL deletes items up to days late. */

export const MIN_EXPIRY_DAYS = 1;
export const MAX_EXPIRY_DAYS = 90;
export const DEFAULT_EXPIRY_DAYS = 14;
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
