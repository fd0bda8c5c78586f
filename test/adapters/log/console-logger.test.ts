import { describe, expect, it } from 'vitest';
import { ConsoleLogger, consoleLine } from '../../../functions/adapters/log/console-logger.ts';

describe('ConsoleLogger', () => {
  it('writes one line for a person per event at or above its level, and nothing below it', () => {
    const lines: [string, string][] = [];
    const logger = new ConsoleLogger('warn', (line, level) => lines.push([line, level]));

    logger.info('request', { method: 'GET', route: '/healthz', status: 200, ms: 3 });
    logger.warn('webhook_delivery_failed', { webhookId: 'wh_1', attempt: 2, error: 'dns', note: 'two words' });

    expect(lines).toEqual([[expect.stringMatching(/^\d\d:\d\d:\d\d {2}warn {2}webhook delivery failed {2}webhookId=wh_1 attempt=2 error=dns note="two words"$/), 'warn']]);
  });

  it('writes a request as method, route, status and time', () => {
    expect(consoleLine('info', 'request', { method: 'POST', route: '/v1/messages', status: 201, ms: 34, requestId: 'r-1' }, new Date(2026, 0, 1, 12, 4, 31)))
      .toBe('12:04:31  POST /v1/messages → 201  34 ms');
  });
});
