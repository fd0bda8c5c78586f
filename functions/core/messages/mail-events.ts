/**
 * Delivery feedback from the mail service (SES bounce, complaint and delivery notifications),
 * recorded in the message's audit trail so a sender sees what became of each notification.
 */
import type { MessageEventType, EventLog } from '../audit/index.ts';
import type { Clock, Logger } from '../shared/index.ts';
import type { MessageStore } from './ports.ts';

export interface MailFeedback {
  readonly type: Extract<MessageEventType, 'delivered' | 'bounced' | 'complained'>;
  readonly messageId: string;
  readonly rid: string;
  /** When the mail service observed it (ISO 8601). */
  readonly at: string;
  /** Short, non-secret detail, e.g. "Permanent/General". */
  readonly detail?: string;
}

export interface MailFeedbackDeps {
  readonly store: MessageStore;
  readonly events: EventLog;
  readonly clock: Clock;
  readonly logger: Logger;
}

/**
 * Appends one event for the recipient the feedback names. Feedback for a message or recipient we
 * do not know (another deployment sharing the SES identity, a message already expired and deleted)
 * is logged and dropped: there is nothing to attach it to. Returns whether it was recorded.
 */
export async function recordMailFeedback(deps: MailFeedbackDeps, feedback: MailFeedback): Promise<boolean> {
  const head = await deps.store.getHead(feedback.messageId);
  const recipient = head?.recipients.find((r) => r.rid === feedback.rid);
  if (!head || !recipient) {
    deps.logger.warn('mail_feedback_unmatched', { type: feedback.type, messageId: feedback.messageId, rid: feedback.rid });
    return false;
  }
  // Unlike the best-effort events of a send, this is the whole job: a failure propagates so that
  // the event source (SNS → Lambda) retries it.
  await deps.events.append([{
    messageId: head.id, tenantId: head.tenantId, type: feedback.type, at: feedback.at, actor: 'mail-service', retentionDays: head.auditRetentionDays,
    // SNS delivers at least once: a redelivered notification must not add a second event.
    id: `${feedback.type}:${feedback.rid}`,
    recipient: recipient.email, ...(feedback.detail ? { detail: feedback.detail } : {}),
  }]);
  return true;
}
