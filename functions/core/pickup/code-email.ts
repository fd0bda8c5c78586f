/**
 * The email that carries a verification code: the 6 digits, how long they work, and what to do if
 * the recipient did not ask. Deliberately no link at all — a code email that links somewhere would
 * teach recipients to follow links in code emails, which is what phishing wants. Branded like the
 * notification, in the tenant's email frame (tenants/email-frame.ts).
 */
import { escapeHtml, type Address, type PickupNotification } from '../shared/index.ts';
import { brandedEmail, type Tenant } from '../tenants/index.ts';
import { VERIFICATION_POLICY } from './verification.ts';

export interface CodeEmailInput {
  readonly tenant: Tenant;
  readonly reference: { readonly messageId: string; readonly rid: string };
  readonly to: Address;
  readonly code: string;
}

export function buildCodeEmail(input: CodeEmailInput): PickupNotification {
  const { tenant, code } = input;
  const sender = tenant.settings.displayName;
  const minutes = VERIFICATION_POLICY.codeTtlMs / 60_000;
  const text = [
    `Your code to open the secure message from ${sender}:`,
    '',
    `    ${code}`,
    '',
    `Type it on the page where you opened the message. It works for ${minutes} minutes, once.`,
    '',
    'If you did not try to open a message, ignore this email: nobody can open it with the code alone.',
  ].join('\n');
  const e = escapeHtml;
  const frame = brandedEmail(tenant, `<h1 style="font-size:20px;margin:0 0 16px">Your code to open the secure message from ${e(sender)}</h1>
<p style="font-size:32px;font-weight:bold;letter-spacing:6px;font-family:Menlo,Consolas,monospace;margin:0 0 16px">${e(code)}</p>
<p style="font-size:15px;line-height:1.5;margin:0 0 16px">Type it on the page where you opened the message. It works for ${minutes} minutes, once.</p>
<p style="font-size:13px;line-height:1.5;color:#52606d;margin:0">If you did not try to open a message, ignore this email: nobody can open it with the code alone.</p>`);
  return {
    reference: input.reference,
    from: { email: tenant.settings.senderAddress, name: sender },
    to: input.to,
    subject: `${sender} — your code to open a secure message`,
    text,
    ...frame,
  };
}
