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
  /**
   * The tenant's PNG logo, which `html` shows as `<img src="cid:<cid>">`: the email carries the
   * picture itself (tenants/email-frame.ts `embeddingLogos` reads its bytes into `inline`), so mail
   * clients that block remote images still show it.
   */
  readonly logo?: EmailLogo;
  /** Pictures sent inside the email (multipart/related), each named in `html` by its Content-ID. */
  readonly inline?: readonly InlineImage[];
}

/** Which logo an email shows, by reference: the tenant and the logo's digest (its bytes are stored apart). */
export interface EmailLogo {
  readonly tenantId: string;
  readonly digest: string;
  /** The Content-ID `html` names it by (without angle brackets). */
  readonly cid: string;
}

export interface InlineImage {
  readonly cid: string;
  readonly contentType: 'image/png';
  readonly content: Uint8Array;
}

export interface Notifier {
  /** Sends one notification; resolves with the outcome instead of throwing for a rejected recipient. */
  send(notification: PickupNotification): Promise<NotifyOutcome>;
}
