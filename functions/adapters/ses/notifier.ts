/**
 * Notifier on Amazon SES (v1 SendRawEmail): one email per recipient, text and HTML parts, and the
 * tenant's logo as an inline picture (multipart/related, named by its Content-ID) so that mail
 * clients which block remote images still show it. Core's MIME writer (the one sealed messages use)
 * writes it. A rejected recipient becomes a "failed" outcome with a reason the sender can act on;
 * the SES error name and status are logged here (never the request, which carries the link), never
 * returned verbatim.
 */
import { randomBytes } from 'node:crypto';
import { SendRawEmailCommand, type SESClient } from '@aws-sdk/client-ses';
// The client, for the composition's import() of this module: imported by name here, the SDK is
// tree-shaken to what this adapter uses (an import() of the SDK itself keeps every export).
export { SESClient } from '@aws-sdk/client-ses';
import { composeMime } from '../../core/messages/index.ts';
import { toBase64Url, type Logger, type Notifier, type NotifyOutcome, type PickupNotification } from '../../core/shared/index.ts';
import { MESSAGE_TAG, RECIPIENT_TAG } from './tags.ts';

const random = (length: number): Uint8Array => new Uint8Array(randomBytes(length));

const REJECTIONS: Record<string, string> = {
  MessageRejected: 'SES rejected the email (for example: the address is on the suppression list, or the sending account is in the SES sandbox and the address is not verified).',
  MailFromDomainNotVerifiedException: 'The sender domain is not verified in SES.',
  ConfigurationSetDoesNotExistException: 'The SES configuration set does not exist.',
  AccountSendingPausedException: 'Sending is paused for this SES account.',
  ConfigurationSetSendingPausedException: 'Sending is paused for this SES configuration set.',
  Throttling: 'SES is sending at its maximum rate right now, so the email was not sent. Send it again in a little while.',
};

export class SesNotifier implements Notifier {
  constructor(private readonly client: SESClient, private readonly options: { configurationSetName?: string; logger?: Logger } = {}) {}

  async send(notification: PickupNotification): Promise<NotifyOutcome> {
    try {
      const domain = notification.from.email.split('@')[1] ?? 'sealpost.invalid';
      const mime = composeMime({
        from: notification.from, to: [notification.to], cc: [],
        ...(notification.replyTo ? { replyTo: notification.replyTo } : {}),
        subject: notification.subject, text: notification.text, html: notification.html, attachments: [],
        date: new Date(), messageId: `<${toBase64Url(random(16))}@${domain}>`,
        ...(notification.inline ? { inline: notification.inline } : {}),
      }, random);
      await this.client.send(new SendRawEmailCommand({
        RawMessage: { Data: mime },
        // Echoed back in SES event notifications (bounce, complaint, delivery) to find the recipient.
        Tags: [{ Name: MESSAGE_TAG, Value: notification.reference.messageId }, { Name: RECIPIENT_TAG, Value: notification.reference.rid }],
        ...(this.options.configurationSetName ? { ConfigurationSetName: this.options.configurationSetName } : {}),
      }));
      return { status: 'notified' };
    } catch (error) {
      const name = (error as { name?: string }).name ?? 'Error';
      const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
      this.options.logger?.warn('ses_send_failed', { error: name, httpStatus: status });
      const reason = REJECTIONS[name] ?? (status !== undefined && status >= 400 && status < 500
        // Any other refusal: its name is logged above, never returned (it would tell about the account's setup).
        ? 'SES refused the email, so it was not sent.'
        // A timeout or reset may come after SES accepted the email: say so rather than guess.
        : 'The email service did not confirm the email (no answer or a server error); it may not have been sent.');
      return { status: 'failed', reason };
    }
  }
}
