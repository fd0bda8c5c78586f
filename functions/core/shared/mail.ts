/** One email to one address: what every concern that sends mail (notifications, codes, sign-in) hands the Notifier. */

export interface Address {
  readonly email: string;
  readonly name?: string;
}

/** What became of one email: sent, or refused with a reason that carries no secret. */
export interface NotifyOutcome {
  readonly status: 'notified' | 'failed';
  readonly reason?: string;
}

/**
 * One email to one recipient: a pickup notification (it carries the link with its secret and nothing
 * of the content), a verification code or a sign-in code.
 */
export interface PickupNotification {
  /** Which message and recipient this is for, so delivery events (bounces…) can be traced back. Not secret. */
  readonly reference: { readonly messageId: string; readonly rid: string };
  readonly from: Address;
  readonly to: Address;
  /** The tenant's reply-to address, so a reply to the notification reaches a person. */
  readonly replyTo?: string;
  readonly subject: string;
  readonly text: string;
  readonly html: string;
}

export interface Notifier {
  /** Sends one notification; resolves with the outcome instead of throwing for a rejected recipient. */
  send(notification: PickupNotification): Promise<NotifyOutcome>;
}
