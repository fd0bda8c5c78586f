/**
 * The console's sentences for audit events (web/src/admin/wording.ts), where the API's detail is a
 * machine-shaped string: a wrong code or passcode says how many attempts are left in words.
 */
import { describe, expect, it } from 'vitest';

import type { AuditEvent } from '../../web/src/lib/admin-api.ts';
import { describeEvent } from '../../web/src/admin/wording.ts';

const failed = (detail: string | undefined): AuditEvent => ({
  id: 'e1', type: 'verification_failed', at: '2026-12-06T10:00:00.000Z', recordedAt: '2026-12-06T10:00:00.000Z', actor: 'recipient:r1',
  messageId: 'm1', recipient: 'alice@example.com', ...(detail === undefined ? {} : { detail }),
});

describe('describeEvent', () => {
  it('says a wrong code or passcode with the attempts left in words: 3, 1, none', () => {
    expect(describeEvent(failed('code; 3 attempts left'))).toBe('Wrong code from alice@example.com (3 attempts left)');
    expect(describeEvent(failed('code; 1 attempts left'))).toBe('Wrong code from alice@example.com (1 attempt left)');
    expect(describeEvent(failed('passcode; 0 attempts left'))).toBe('Wrong passcode from alice@example.com (no attempts left)');
  });

  it('keeps a detail of another shape as it came', () => {
    expect(describeEvent(failed('passcode'))).toBe('Wrong passcode from alice@example.com (passcode)');
    expect(describeEvent(failed(undefined))).toBe('Wrong code from alice@example.com');
  });
});
