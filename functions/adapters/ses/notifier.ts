/**
 * Notifier on Amazon SES (v1 SendEmail): one email per recipient, text and HTML parts. A rejected
 * recipient becomes a "failed" outcome with a reason the sender can act on; the SES error name and
 * status are logged here (never the request, which carries the link), never returned verbatim.
 */
import { SendEmailCommand, type SESClient } from '@aws-sdk/client-ses';
import type { Address, Logger, Notifier, NotifyOutcome, PickupNotification } from '../../core/shared/index.ts';
import { MESSAGE_TAG, RECIPIENT_TAG } from './tags.ts';

/** RFC 5322 mailbox for SES's Source/To: quoted ASCII display name, or an RFC 2047 encoded word. */
export function formatMailbox(address: Address): string {
  if (!address.name) return address.email;
  const name = /^[\x20-\x7e]*$/.test(address.name)
    ? `"${address.name.replace(/(["\\])/g, '\\$1')}"`
    : `=?UTF-8?B?${Buffer.from(address.name, 'utf8').toString('base64')}?=`;
  return `${name} <${address.email}>`;
}

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
      await this.client.send(new SendEmailCommand({
        Source: formatMailbox(notification.from),
        Destination: { ToAddresses: [formatMailbox(notification.to)] },
        ...(notification.replyTo ? { ReplyToAddresses: [notification.replyTo] } : {}),
        Message: {
          Subject: { Data: notification.subject, Charset: 'UTF-8' },
          Body: { Text: { Data: notification.text, Charset: 'UTF-8' }, Html: { Data: notification.html, Charset: 'UTF-8' } },
        },
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
