import { describe, expect, it } from 'vitest';
import { feedbackFromSnsEvent, parseSesNotification } from '../../../functions/adapters/ses/event-source.ts';
import { recordMailFeedback } from '../../../functions/core/messages/index.ts';
import { aSendRequest, buildTestApp, sendJson } from '../../helpers/builders.ts';
import { sesEvent } from '../../helpers/ses-events.ts';

const tags = (messageId: string, rid: string) => ({ 'sealpost-message': messageId, 'sealpost-recipient': rid });

describe('SES event notifications', () => {
  it('parse into delivered, bounced and complained feedback for the tagged recipient', () => {
    expect(feedbackFromSnsEvent(sesEvent('Delivery', tags('m1', 'r0')))).toEqual([{ type: 'delivered', messageId: 'm1', rid: 'r0', at: '2026-11-29T12:00:05.000Z' }]);
    expect(feedbackFromSnsEvent(sesEvent('Bounce', tags('m1', 'r1')))).toEqual([{ type: 'bounced', messageId: 'm1', rid: 'r1', at: '2026-11-29T12:00:05.000Z', detail: 'Permanent/General' }]);
    expect(feedbackFromSnsEvent(sesEvent('Complaint', tags('m1', 'r2')))).toEqual([{ type: 'complained', messageId: 'm1', rid: 'r2', at: '2026-11-29T12:00:05.000Z', detail: 'abuse' }]);
  });

  it('ignore other event types, untagged mail and malformed messages', () => {
    expect(feedbackFromSnsEvent(sesEvent('Send', tags('m1', 'r0')))).toEqual([]);
    expect(feedbackFromSnsEvent(sesEvent('Bounce', {}))).toEqual([]);
    expect(parseSesNotification('not json')).toBeUndefined();
  });
});

describe('recordMailFeedback', () => {
  it('appends the event to the message trail under the recipient\'s address', async () => {
    const { app, deps, keys } = await buildTestApp();
    const { id } = await (await sendJson(app, keys.acme, aSendRequest({ to: ['alice@example.com', 'bob@example.com'] }))).json() as { id: string };

    const recorded = await recordMailFeedback(deps, { type: 'bounced', messageId: id, rid: 'r1', at: '2026-11-29T12:00:05.000Z', detail: 'Permanent/General' });

    expect(recorded).toBe(true);
    const status = await (await app.request(`/v1/messages/${id}`, { headers: { Authorization: `Bearer ${keys.acme}` } })).json() as { events: { type: string; recipient?: string; detail?: string }[] };
    expect(status.events.at(-1)).toMatchObject({ type: 'bounced', at: '2026-11-29T12:00:05.000Z', actor: 'mail-service', recipient: 'bob@example.com', detail: 'Permanent/General' });
  });

  it('drops feedback for an unknown message or recipient and says so in the log', async () => {
    const { deps } = await buildTestApp();

    const recorded = await recordMailFeedback(deps, { type: 'delivered', messageId: 'nope', rid: 'r0', at: '2026-11-29T12:00:05.000Z' });

    expect(recorded).toBe(false);
    expect(deps.events.events).toHaveLength(0);
    expect(deps.logger.lines.some((l) => l.includes('mail_feedback_unmatched'))).toBe(true);
  });
});
