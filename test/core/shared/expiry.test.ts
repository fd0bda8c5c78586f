import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { addDays, formatUtcExpiry, isExpired, ttlFor } from '../../../functions/core/shared/index.ts';

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

  it('states an expiry in words exactly as Intl\'s en-US long date and short time in UTC do', () => {
    const intl = new Intl.DateTimeFormat('en-US', { dateStyle: 'long', timeStyle: 'short', timeZone: 'UTC' });

    fc.assert(fc.property(fc.date({ min: new Date('2000-01-01T00:00:00Z'), max: new Date('2199-12-31T23:59:59Z'), noInvalidDate: true }), (at) => {
      // Some ICU versions put a narrow no-break space before AM/PM; the emails use a plain space.
      expect(formatUtcExpiry(at)).toBe(`${intl.format(at).replace('\u202f', ' ')} UTC`);
    }), { seed: 20_261_206, numRuns: 2000 });
    expect(formatUtcExpiry(new Date('2026-12-20T00:05:00Z'))).toBe('December 20, 2026 at 12:05 AM UTC');
    expect(formatUtcExpiry(new Date('2026-12-20T12:00:00Z'))).toBe('December 20, 2026 at 12:00 PM UTC');
  });
});
