import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  buildCodeEmail, VERIFICATION_POLICY, attemptsLeft, generateCode, hashCode, isLocked, lockRetryAfter, maskEmail, newGrant,
  resendRetryAfter,
} from '../../../functions/core/pickup/index.ts';
import type { RecipientRecord } from '../../../functions/core/messages/index.ts';
import { aTenant } from '../../helpers/builders.ts';

const secure = (n: number) => new Uint8Array(randomBytes(n));

/** A random source that plays back the given 32-bit values, big-endian, and records how much was read. */
function scripted(values: number[]) {
  const read: number[] = [];
  const source = (n: number) => {
    const value = values.shift();
    if (value === undefined || n !== 4) throw new Error('unexpected read');
    read.push(value);
    return Uint8Array.from([value >>> 24, (value >>> 16) & 0xff, (value >>> 8) & 0xff, value & 0xff]);
  };
  return { source, read };
}

function aRecipient(overrides: Partial<RecipientRecord> = {}): RecipientRecord {
  return { rid: 'r0', kind: 'to', email: 'alice@example.com', tokenHash: 'h', status: 'notified', opens: 0, ...overrides };
}

describe('generateCode', () => {
  it('gives six digits whose values and digit positions are spread uniformly (within 6 sigma over 100,000 codes)', () => {
    const n = 100_000;
    const byThousands = new Array<number>(1000).fill(0);
    const digits = Array.from({ length: 6 }, () => new Array<number>(10).fill(0));
    let malformed = 0;

    for (let i = 0; i < n; i++) {
      const code = generateCode(secure);
      if (!/^\d{6}$/.test(code)) malformed++;
      byThousands[Math.floor(Number(code) / 1000)]! += 1;
      for (let p = 0; p < 6; p++) digits[p]![Number(code[p])]! += 1;
    }

    expect(malformed).toBe(0);
    // Each digit count is binomial(n, 1/10): sd ≈ 95, so ±570 is 6 sigma.
    for (const position of digits) for (const count of position) expect(Math.abs(count - n / 10)).toBeLessThan(570);
    // Chi-square over 1000 buckets of 100 each (999 degrees of freedom): 1200 is far beyond chance.
    const chi = byThousands.reduce((sum, count) => sum + (count - n / 1000) ** 2 / (n / 1000), 0);
    expect(chi).toBeLessThan(1200);
  });

  it('draws again for values in the incomplete last block, so there is no modulo bias', () => {
    const limit = Math.floor(2 ** 32 / 1e6) * 1e6;
    const { source, read } = scripted([2 ** 32 - 1, limit, limit - 1]);

    expect(generateCode(source)).toBe('999999');
    expect(read).toEqual([2 ** 32 - 1, limit, limit - 1]);
    expect(generateCode(scripted([0]).source)).toBe('000000');
    expect(generateCode(scripted([1_000_042]).source)).toBe('000042');
  });
});

describe('code hashes, grants and masks', () => {
  it('hashes a code together with its message and recipient, so a stored hash is useless elsewhere', async () => {
    const hash = await hashCode('m'.repeat(22), 'r1', '123456');

    expect(hash).toBe(createHash('sha256').update(`${'m'.repeat(22)}\nr1\n123456`).digest('base64url'));
    expect(hash).not.toBe(await hashCode('m'.repeat(22), 'r0', '123456'));
    expect(hash).not.toBe(await hashCode('n'.repeat(22), 'r1', '123456'));
    expect(hash).not.toContain('123456');
  });

  it('makes grants of 32 random bytes, base64url', () => {
    expect(newGrant(secure)).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(newGrant(secure)).not.toBe(newGrant(secure));
  });

  it('masks an address to its first character and domain', () => {
    expect(maskEmail('alice@example.com')).toBe('a•••@example.com');
    expect(maskEmail('b@x.example')).toBe('b•••@x.example');
    expect(maskEmail('émile.long.name+tag@sub.example.org')).toBe('é•••@sub.example.org');
  });
});

describe('lockout and resend rules', () => {
  const now = new Date('2026-11-29T12:00:00.000Z');
  const ago = (ms: number) => new Date(now.getTime() - ms).toISOString();

  it('locks after 5 failures for 15 minutes after the last one', () => {
    expect(isLocked(aRecipient({ failures: 4, lastFailureAt: ago(0) }), now)).toBe(false);
    expect(isLocked(aRecipient({ failures: 5, lastFailureAt: ago(14 * 60_000) }), now)).toBe(true);
    expect(lockRetryAfter(aRecipient({ failures: 5, lastFailureAt: ago(14 * 60_000) }), now)).toBe(60);
    expect(isLocked(aRecipient({ failures: 5, lastFailureAt: ago(15 * 60_000) }), now)).toBe(false);
    expect(attemptsLeft(3)).toBe(2);
    expect(attemptsLeft(7)).toBe(0);
  });

  it('allows a new code 30 seconds after the last, and at most 5 in an hour', () => {
    const sent = (ms: number) => ({ hash: 'h', expiresAt: ago(ms - VERIFICATION_POLICY.codeTtlMs), sentAt: ago(ms) });

    expect(resendRetryAfter(aRecipient(), now)).toBe(0);
    expect(resendRetryAfter(aRecipient({ code: sent(10_000), codeSends: 1, codeWindowStart: ago(10_000) }), now)).toBe(20);
    expect(resendRetryAfter(aRecipient({ code: sent(40_000), codeSends: 4, codeWindowStart: ago(50 * 60_000) }), now)).toBe(0);
    expect(resendRetryAfter(aRecipient({ code: sent(40_000), codeSends: 5, codeWindowStart: ago(50 * 60_000) }), now)).toBe(600);
    expect(resendRetryAfter(aRecipient({ code: sent(40_000), codeSends: 5, codeWindowStart: ago(60 * 60_000) }), now)).toBe(0);
  });
});

describe('code email', () => {
  it('carries the code, its validity and the "ignore" advice, branded, with no link at all', () => {
    const tenant = aTenant({ settings: { displayName: 'Acme <Health>', brand: { primaryColor: '#0f766e' } } });

    const email = buildCodeEmail({ tenant, reference: { messageId: 'm'.repeat(22), rid: 'r0' }, to: { email: 'alice@example.com' }, code: '048213' });

    expect(email.subject).toBe('Acme <Health> — your code to open a secure message');
    expect(email.from).toEqual({ email: 'notices@acme.example', name: 'Acme <Health>' });
    expect(email.reference).toEqual({ messageId: 'm'.repeat(22), rid: 'r0' });
    for (const part of [email.text, email.html]) {
      expect(part).toContain('048213');
      expect(part).toContain('10 minutes');
      expect(part).toContain('If you did not try to open a message, ignore this email');
      expect(part).not.toMatch(/https?:|<a\b|href=|www\./i);
    }
    expect(email.html).toContain('Acme &lt;Health&gt;');
    expect(email.html).toContain('border-top:4px solid #0f766e');
    expect(email.html).toContain('Secured by sealpost');
  });
});
