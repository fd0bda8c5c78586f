import { describe, expect, it } from 'vitest';
import { addDays, isExpired, ttlFor } from '../../../functions/core/shared/index.ts';

describe('expiry', () => {
  const now = new Date('2026-11-29T12:00:00.000Z');

  it('is expired at and after the instant, not before', () => {
    expect(isExpired('2026-11-29T12:00:00.001Z', now)).toBe(false);
    expect(isExpired('2026-11-29T12:00:00.000Z', now)).toBe(true);
    expect(isExpired('2026-11-29T11:59:59.999Z', now)).toBe(true);
  });

  it('fails closed on an unreadable date', () => {
    expect(isExpired('not a date', now)).toBe(true);
    expect(isExpired('', now)).toBe(true);
  });

  it('adds days and turns instants into DynamoDB TTL seconds', () => {
    expect(addDays(now, 14).toISOString()).toBe('2026-12-13T12:00:00.000Z');
    // Rounded up: an item must not be deletable before its instant.
    expect(ttlFor(new Date('2026-11-29T12:00:00.500Z'))).toBe(Date.UTC(2026, 10, 29, 12, 0, 0) / 1000 + 1);
  });
});
