/**
 * Parses SES event publishing notifications (delivered to Lambda through SNS) into MailFeedback.
 * Only Delivery, Bounce and Complaint matter here; anything else, or a notification without our
 * tags, yields nothing. See https://docs.aws.amazon.com/ses/latest/dg/event-publishing-retrieving-sns-contents.html
 */
import type { MailFeedback } from '../../core/messages/index.ts';
import { MESSAGE_TAG, RECIPIENT_TAG } from './tags.ts';

interface SesEventNotification {
  eventType?: string;
  notificationType?: string;
  mail?: { timestamp?: string; tags?: Record<string, string[] | undefined> };
  bounce?: { bounceType?: string; bounceSubType?: string; timestamp?: string };
  complaint?: { complaintFeedbackType?: string; timestamp?: string };
  delivery?: { timestamp?: string };
}

export interface SnsEvent {
  Records: { EventSource?: string; Sns: { Message: string } }[];
}

const DETAIL = /[^A-Za-z0-9 /_.-]/g;

export function parseSesNotification(message: string): MailFeedback | undefined {
  let parsed: SesEventNotification;
  try {
    parsed = JSON.parse(message) as SesEventNotification;
  } catch {
    return undefined;
  }
  const kind = parsed.eventType ?? parsed.notificationType;
  const messageId = parsed.mail?.tags?.[MESSAGE_TAG]?.[0];
  const rid = parsed.mail?.tags?.[RECIPIENT_TAG]?.[0];
  if (!messageId || !rid) return undefined;
  const base = { messageId, rid };
  switch (kind) {
    case 'Delivery':
      return { ...base, type: 'delivered', at: parsed.delivery?.timestamp ?? parsed.mail?.timestamp ?? new Date().toISOString() };
    case 'Bounce':
      return {
        ...base, type: 'bounced', at: parsed.bounce?.timestamp ?? new Date().toISOString(),
        detail: `${parsed.bounce?.bounceType ?? 'Unknown'}/${parsed.bounce?.bounceSubType ?? 'Unknown'}`.replace(DETAIL, '').slice(0, 80),
      };
    case 'Complaint':
      return {
        ...base, type: 'complained', at: parsed.complaint?.timestamp ?? new Date().toISOString(),
        ...(parsed.complaint?.complaintFeedbackType ? { detail: parsed.complaint.complaintFeedbackType.replace(DETAIL, '').slice(0, 80) } : {}),
      };
    default:
      return undefined;
  }
}

export function feedbackFromSnsEvent(event: SnsEvent): MailFeedback[] {
  return (event.Records ?? []).flatMap((record) => {
    const feedback = parseSesNotification(record.Sns?.Message ?? '');
    return feedback ? [feedback] : [];
  });
}
