/**
 * The pickup notification: who sent a secure message, until when it can be opened, and the link.
 * Deliberately nothing about the message itself — no subject, no content, no attachment names —
 * because the notification travels as ordinary email.
 */
import type { Address, Tenant } from './model.ts';
import type { PickupNotification } from './ports.ts';

export function pickupLink(portalOrigin: string, messageId: string, secret: string): string {
  return `${portalOrigin.replace(/\/+$/, '')}/m/${encodeURIComponent(messageId)}#${secret}`;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);
}

function formatExpiry(expiresAt: Date): string {
  return new Intl.DateTimeFormat('en-US', { dateStyle: 'long', timeStyle: 'short', timeZone: 'UTC' }).format(expiresAt) + ' UTC';
}

export function buildPickupNotification(input: {
  tenant: Tenant;
  reference: { messageId: string; rid: string };
  to: Address;
  link: string;
  expiresAt: Date;
}): PickupNotification {
  const { tenant, to, link } = input;
  const sender = tenant.displayName;
  const expiry = formatExpiry(input.expiresAt);
  const subject = `${sender} sent you a secure message`;
  const text = [
    `${sender} has sent you a secure message.`,
    '',
    'Open it here:',
    link,
    '',
    `The link works until ${expiry}.`,
    'Keep this email: the link is the only key to the message, and it cannot be resent.',
    'The message is decrypted in your browser; the portal itself cannot read it.',
    '',
    `If you were not expecting a message from ${sender}, you can ignore this email.`,
  ].join('\n');
  const e = escapeHtml;
  const html = `<!doctype html><html><body style="margin:0;padding:24px;background:#f4f5f7;font-family:Arial,Helvetica,sans-serif;color:#1f2933">
<table role="presentation" width="100%" cellpadding="0" cellspacing="0"><tr><td align="center">
<table role="presentation" width="100%" style="max-width:560px;background:#ffffff;border-radius:8px;padding:32px" cellpadding="0" cellspacing="0">
<tr><td>
<h1 style="font-size:20px;margin:0 0 16px">${e(sender)} sent you a secure message</h1>
<p style="font-size:15px;line-height:1.5;margin:0 0 24px">Use the button below to open it. The message is decrypted in your browser; the portal itself cannot read it.</p>
<p style="margin:0 0 24px"><a href="${e(link)}" target="_blank" rel="noopener noreferrer" style="display:inline-block;background:#1d4ed8;color:#ffffff;text-decoration:none;padding:12px 20px;border-radius:6px;font-weight:bold">Open secure message</a></p>
<p style="font-size:13px;line-height:1.5;color:#52606d;margin:0 0 8px">The link works until ${e(expiry)}. Keep this email: the link is the only key to the message, and it cannot be resent.</p>
<p style="font-size:13px;line-height:1.5;color:#52606d;margin:0">If you were not expecting a message from ${e(sender)}, you can ignore this email.</p>
</td></tr></table>
<p style="font-size:12px;color:#7b8794;margin:16px 0 0">Secured by sealpost</p>
</td></tr></table></body></html>`;
  return { reference: input.reference, from: { email: tenant.senderAddress, name: tenant.displayName }, to, subject, text, html };
}
