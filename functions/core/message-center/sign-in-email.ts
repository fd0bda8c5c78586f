/**
 * The inbox sign-in code email. It carries the code and no link at all: a code is typed into the
 * page the recipient already has open, so a phishing copy of this email has nothing to click, and a
 * mail scanner that follows links finds none. Branded like the pickup notification (name, PNG logo,
 * colour); everything the tenant typed is HTML-escaped.
 */
import { escapeHtml, type Address, type PickupNotification } from '../shared/index.ts';
import { brandedEmail, type Tenant } from '../tenants/index.ts';

/**
 * SES tags of a sign-in email. They name no message (the mail-feedback processor finds no head for
 * them and drops a bounce with a warning), and never the code.
 */
export const SIGN_IN_REFERENCE = { messageId: 'inbox-sign-in', rid: 'code' } as const;

export interface SignInCodeEmailInput {
  readonly tenant: Tenant;
  readonly to: Address;
  /** Six digits. */
  readonly code: string;
  readonly validMinutes: number;
}

export function buildSignInCodeEmail(input: SignInCodeEmailInput): PickupNotification {
  const { tenant, to, code, validMinutes } = input;
  if (!/^\d{6}$/.test(code)) throw new RangeError('a sign-in code has 6 digits');
  const sender = tenant.settings.displayName;
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
  const frame = brandedEmail(tenant, `<h1 style="font-size:20px;margin:0 0 16px">Your sign-in code for ${e(sender)}</h1>
<p style="font-size:15px;line-height:1.5;margin:0 0 16px">Type this code on the sign-in page of the secure inbox:</p>
<p style="font-size:32px;letter-spacing:6px;font-weight:bold;font-family:Consolas,Menlo,monospace;margin:0 0 24px">${e(code)}</p>
<p style="font-size:13px;line-height:1.5;color:#52606d;margin:0 0 8px">It works for ${validMinutes} minutes, once. ${e(sender)} will never ask you for this code by phone or email, and this email contains no link.</p>
<p style="font-size:13px;line-height:1.5;color:#52606d;margin:0">If you did not try to sign in, you can ignore this email: nobody can sign in without the code.</p>`);
  return {
    reference: SIGN_IN_REFERENCE,
    from: { email: tenant.settings.senderAddress, name: sender },
    to,
    subject,
    text,
    ...frame,
  };
}
