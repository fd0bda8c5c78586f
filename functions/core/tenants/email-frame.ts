/**
 * How a tenant's brand looks in email: the frame every email sealpost sends for a tenant shares
 * (pickup notifications, verification codes, inbox sign-in codes, reply notices). Everything the
 * tenant typed is escaped; the colour is checked again before it goes into a style attribute.
 */
import { escapeHtml } from '../shared/index.ts';
import { logoPath } from './branding.ts';
import type { Tenant } from './model.ts';

/** The button colour when a tenant has none (white text on it has AA contrast). */
export const DEFAULT_BUTTON_COLOR = '#1d4ed8';
const HEX = /^#[0-9a-f]{6}$/i;

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
