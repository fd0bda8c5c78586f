/**
 * The pickup notification: who sent a secure message, until when it can be opened, and the link.
 * Deliberately nothing about the message itself — no subject, no content, no attachment names —
 * because the notification travels as ordinary email. It carries the tenant's brand (name, logo,
 * colour); sealpost appears only in the "Secured by" line. Everything the tenant typed is escaped.
 */
import { escapeHtml, formatUtcExpiry, type Address, type PickupNotification } from '../shared/index.ts';
import { brandedEmail, emailColor, type Tenant } from '../tenants/index.ts';


export function pickupLink(portalOrigin: string, messageId: string, secret: string): string {
  return `${portalOrigin.replace(/\/+$/, '')}/m/${encodeURIComponent(messageId)}#${secret}`;
}


export interface PickupNotificationInput {
  tenant: Tenant;
  reference: { messageId: string; rid: string };
  to: Address;
  link: string;
  expiresAt: Date;
  /** Reply-To of the email: the message's reply-to address; defaults to the tenant's. */
  replyTo?: string;
  /** The message needs a passcode: the email says so (never what it is). */
  passcode?: boolean;
  /** The message needs a code emailed when it is opened: the email says so, so the second email is expected. */
  code?: boolean;
  /** Message Center custody: the tenant's inbox, where the message can also be opened after signing in. */
  inboxUrl?: string;
}

/**
 * What a recipient will need besides the link, in one sentence (or none): the passcode the
 * organisation gave them (never the passcode itself) and/or the code emailed when they open it.
 */
export function proofSentence(tenant: Tenant, needs: { passcode?: boolean; code?: boolean }): string | undefined {
  const passcode = `the passcode ${tenant.settings.displayName} gave you`;
  const code = 'a 6-digit code that we email you when you open it';
  if (needs.passcode && needs.code) return `To open it you will also need ${passcode}, and ${code}.`;
  if (needs.passcode) return `To open it you will also need ${passcode}.`;
  if (needs.code) return `To open it you will also need ${code}.`;
  return undefined;
}

export function buildPickupNotification(input: PickupNotificationInput): PickupNotification {
  const { tenant, to, link } = input;
  const sender = tenant.settings.displayName;
  const color = emailColor(tenant);
  const proof = proofSentence(tenant, input);
  const replyTo = input.replyTo ?? tenant.settings.replyTo;
  const expiry = formatUtcExpiry(input.expiresAt);
  const subject = `${sender} sent you a secure message`;
  const custody = input.inboxUrl
    ? `You can also open it from ${sender}'s Message Center, signing in with a code sent to this address: ${input.inboxUrl}`
    : 'Keep this email: the link is the only key to the message, and it cannot be resent.';
  const text = [
    `${sender} has sent you a secure message.`,
    '',
    'Open it here:',
    link,
    '',
    `The link works until ${expiry}.`,
    ...(proof ? [proof] : []),
    custody,
    'The message is decrypted in your browser; the portal itself cannot read it.',
    '',
    `If you were not expecting a message from ${sender}, you can ignore this email.`,
  ].join('\n');
  const e = escapeHtml;
  const frame = brandedEmail(tenant, `<h1 style="font-size:20px;margin:0 0 16px">${e(sender)} sent you a secure message</h1>
<p style="font-size:15px;line-height:1.5;margin:0 0 24px">Use the button below to open it. The message is decrypted in your browser; the portal itself cannot read it.</p>
<p style="margin:0 0 24px"><a href="${e(link)}" target="_blank" rel="noopener noreferrer" style="display:inline-block;background:${color};color:#ffffff;text-decoration:none;padding:12px 20px;border-radius:6px;font-weight:bold">Open secure message</a></p>
${proof ? `<p style="font-size:15px;line-height:1.5;margin:0 0 16px">${e(proof)}</p>\n` : ''}<p style="font-size:13px;line-height:1.5;color:#52606d;margin:0 0 8px">The link works until ${e(expiry)}. ${e(custody)}</p>
<p style="font-size:13px;line-height:1.5;color:#52606d;margin:0">If you were not expecting a message from ${e(sender)}, you can ignore this email.</p>`);
  return {
    reference: input.reference,
    from: { email: tenant.settings.senderAddress, name: sender },
    to,
    ...(replyTo ? { replyTo } : {}),
    subject,
    text,
    ...frame,
  };
}
