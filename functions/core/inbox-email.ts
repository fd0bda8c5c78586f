/**
 * The inbox sign-in code email. It carries the code and no link at all: a code is typed into the
 * page the recipient already has open, so a phishing copy of this email has nothing to click, and a
 * mail scanner that follows links finds none. Branded like the pickup notification (name, PNG logo,
 * colour); everything the tenant typed is HTML-escaped.
 */
import type { Address, Tenant } from './model.ts';
import { DEFAULT_BUTTON_COLOR } from './notification.ts';
import type { PickupNotification } from './ports.ts';
import { logoPath } from './settings.ts';

const HEX = /^#[0-9a-f]{6}$/i;

/**
 * SES tags of a sign-in email. They name no message (the mail-feedback processor finds no head for
 * them and drops a bounce with a warning), and never the code.
 */
export const SIGN_IN_REFERENCE = { messageId: 'inbox-sign-in', rid: 'code' } as const;

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);
}

export interface SignInCodeEmailInput {
  readonly tenant: Tenant;
  readonly to: Address;
  /** Six digits. */
  readonly code: string;
  readonly validMinutes: number;
  /** Absolute origin for the logo (emails have no base URL). */
  readonly portalOrigin: string;
}

export function buildSignInCodeEmail(input: SignInCodeEmailInput): PickupNotification {
  const { tenant, to, code, validMinutes } = input;
  if (!/^\d{6}$/.test(code)) throw new RangeError('a sign-in code has six digits');
  const sender = tenant.settings.displayName;
  const color = tenant.settings.brand.primaryColor !== undefined && HEX.test(tenant.settings.brand.primaryColor) ? tenant.settings.brand.primaryColor : DEFAULT_BUTTON_COLOR;
  const logo = tenant.settings.brand.logo;
  const logoUrl = logo?.contentType === 'image/png' ? `${input.portalOrigin.replace(/\/+$/, '')}${logoPath(tenant.id, logo.digest)}` : undefined;
  // Don't put the code in the subject: it would show in lock-screen previews and mail lists.
  const subject = `Your sign-in code for ${sender}`;
  const text = [
    `Your code to sign in to the secure inbox of ${sender}:`,
    '',
    `    ${code}`,
    '',
    `Type it on the sign-in page. It works for ${validMinutes} minutes, once.`,
    `${sender} and sealpost will never ask you for this code by phone or email, and this email contains no link.`,
    '',
    'If you did not try to sign in, you can ignore this email: nobody can sign in without the code.',
  ].join('\n');
  const e = escapeHtml;
  const html = `<!doctype html><html><body style="margin:0;padding:24px;background:#f4f5f7;font-family:Arial,Helvetica,sans-serif;color:#1f2933">
<table role="presentation" width="100%" cellpadding="0" cellspacing="0"><tr><td align="center">
<table role="presentation" width="100%" style="max-width:560px;background:#ffffff;border-radius:8px;border-top:4px solid ${color};padding:32px" cellpadding="0" cellspacing="0">
<tr><td>
${logoUrl ? `<img src="${e(logoUrl)}" alt="${e(sender)}" height="40" style="display:block;height:40px;width:auto;border:0;margin:0 0 20px">\n` : ''}<h1 style="font-size:20px;margin:0 0 16px">Your sign-in code for ${e(sender)}</h1>
<p style="font-size:15px;line-height:1.5;margin:0 0 16px">Type this code on the sign-in page of the secure inbox:</p>
<p style="font-size:32px;letter-spacing:6px;font-weight:bold;font-family:Consolas,Menlo,monospace;margin:0 0 24px">${e(code)}</p>
<p style="font-size:13px;line-height:1.5;color:#52606d;margin:0 0 8px">It works for ${validMinutes} minutes, once. ${e(sender)} will never ask you for this code by phone or email, and this email contains no link.</p>
<p style="font-size:13px;line-height:1.5;color:#52606d;margin:0">If you did not try to sign in, you can ignore this email: nobody can sign in without the code.</p>
</td></tr></table>
<p style="font-size:12px;color:#7b8794;margin:16px 0 0">Secured by sealpost</p>
</td></tr></table></body></html>`;
  return {
    reference: SIGN_IN_REFERENCE,
    from: { email: tenant.settings.senderAddress, name: sender },
    to,
    subject,
    text,
    html,
  };
}
