/**
 * The pickup notification: who sent a secure message, until when it can be opened, and the link.
 * Deliberately nothing about the message itself — no subject, no content, no attachment names —
 * because the notification travels as ordinary email. It carries the tenant's brand (name, logo,
 * colour); sealpost appears only in the "Secured by" line. Everything the tenant typed is escaped.
 */
import type { Address, Tenant } from './model.ts';
import type { PickupNotification } from './ports.ts';
import { logoPath } from './settings.ts';

/** The button colour when a tenant has none (white text on it has AA contrast). */
export const DEFAULT_BUTTON_COLOR = '#1d4ed8';
const HEX = /^#[0-9a-f]{6}$/i;

export function pickupLink(portalOrigin: string, messageId: string, secret: string): string {
  return `${portalOrigin.replace(/\/+$/, '')}/m/${encodeURIComponent(messageId)}#${secret}`;
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);
}

function formatExpiry(expiresAt: Date): string {
  return new Intl.DateTimeFormat('en-US', { dateStyle: 'long', timeStyle: 'short', timeZone: 'UTC' }).format(expiresAt) + ' UTC';
}

export interface PickupNotificationInput {
  tenant: Tenant;
  reference: { messageId: string; rid: string };
  to: Address;
  link: string;
  expiresAt: Date;
  /** Origin the logo is served from (absolute: emails have no base URL); defaults to the link's origin. */
  portalOrigin?: string;
  /** Reply-To of the email: the message's reply-to address; defaults to the tenant's. */
  replyTo?: string;
  /** The message needs a passcode: the email says so (never what it is). */
  passcode?: boolean;
  /** Message Center custody: the tenant's inbox, where the message can also be opened after signing in. */
  inboxUrl?: string;
}

/**
 * The logo's absolute URL, for a PNG logo only: SVG in email is not shown by major clients
 * (Gmail, Outlook), which would leave a broken image where the name as heading reads fine.
 */
export function emailLogoUrl(tenant: Tenant, origin: string): string | undefined {
  const logo = tenant.settings.brand.logo;
  if (!logo || logo.contentType !== 'image/png') return undefined;
  return `${origin.replace(/\/+$/, '')}${logoPath(tenant.id, logo.digest)}`;
}

/** The tenant's colour for borders and buttons, checked again before it goes into a style attribute. */
export function emailColor(tenant: Tenant): string {
  const color = tenant.settings.brand.primaryColor;
  return color !== undefined && HEX.test(color) ? color : DEFAULT_BUTTON_COLOR;
}

/**
 * The branded frame of every email sealpost sends for a tenant: the card with the tenant's colour
 * and PNG logo, `inner` (trusted HTML built by the caller, with everything typed by others escaped),
 * and the "Secured by" line.
 */
export function brandedEmailHtml(tenant: Tenant, logoUrl: string | undefined, inner: string): string {
  const e = escapeHtml;
  return `<!doctype html><html><body style="margin:0;padding:24px;background:#f4f5f7;font-family:Arial,Helvetica,sans-serif;color:#1f2933">
<table role="presentation" width="100%" cellpadding="0" cellspacing="0"><tr><td align="center">
<table role="presentation" width="100%" style="max-width:560px;background:#ffffff;border-radius:8px;border-top:4px solid ${emailColor(tenant)};padding:32px" cellpadding="0" cellspacing="0">
<tr><td>
${logoUrl ? `<img src="${e(logoUrl)}" alt="${e(tenant.settings.displayName)}" height="40" style="display:block;height:40px;width:auto;border:0;margin:0 0 20px">\n` : ''}${inner}
</td></tr></table>
<p style="font-size:12px;color:#7b8794;margin:16px 0 0">Secured by sealpost</p>
</td></tr></table></body></html>`;
}

/** The sentence a passcode message's notification adds (the passcode itself never travels with the link). */
export function passcodeSentence(tenant: Tenant): string {
  return `You will also need the passcode ${tenant.settings.displayName} gave you.`;
}

export function buildPickupNotification(input: PickupNotificationInput): PickupNotification {
  const { tenant, to, link } = input;
  const sender = tenant.settings.displayName;
  const color = emailColor(tenant);
  const logoUrl = emailLogoUrl(tenant, input.portalOrigin ?? new URL(link).origin);
  const replyTo = input.replyTo ?? tenant.settings.replyTo;
  const expiry = formatExpiry(input.expiresAt);
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
    ...(input.passcode ? [passcodeSentence(tenant)] : []),
    custody,
    'The message is decrypted in your browser; the portal itself cannot read it.',
    '',
    `If you were not expecting a message from ${sender}, you can ignore this email.`,
  ].join('\n');
  const e = escapeHtml;
  const html = brandedEmailHtml(tenant, logoUrl, `<h1 style="font-size:20px;margin:0 0 16px">${e(sender)} sent you a secure message</h1>
<p style="font-size:15px;line-height:1.5;margin:0 0 24px">Use the button below to open it. The message is decrypted in your browser; the portal itself cannot read it.</p>
<p style="margin:0 0 24px"><a href="${e(link)}" target="_blank" rel="noopener noreferrer" style="display:inline-block;background:${color};color:#ffffff;text-decoration:none;padding:12px 20px;border-radius:6px;font-weight:bold">Open secure message</a></p>
${input.passcode ? `<p style="font-size:15px;line-height:1.5;margin:0 0 16px">${e(passcodeSentence(tenant))}</p>\n` : ''}<p style="font-size:13px;line-height:1.5;color:#52606d;margin:0 0 8px">The link works until ${e(expiry)}. ${e(custody)}</p>
<p style="font-size:13px;line-height:1.5;color:#52606d;margin:0">If you were not expecting a message from ${e(sender)}, you can ignore this email.</p>`);
  return {
    reference: input.reference,
    from: { email: tenant.settings.senderAddress, name: sender },
    to,
    ...(replyTo ? { replyTo } : {}),
    subject,
    text,
    html,
  };
}
