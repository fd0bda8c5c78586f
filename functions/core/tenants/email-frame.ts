/**
 * How a tenant's brand looks in email: the frame every email sealpost sends for a tenant shares
 * (pickup notifications, verification codes, inbox sign-in codes, reply notices). Everything the
 * tenant typed is escaped; the colour is checked again before it goes into a style attribute.
 */
import { describeError, escapeHtml, type EmailLogo, type Logger, type Notifier, type PickupNotification } from '../shared/index.ts';
import type { Tenant } from './model.ts';

/** The button colour when a tenant has none (white text on it has AA contrast). */
export const DEFAULT_BUTTON_COLOR = '#1d4ed8';
const HEX = /^#[0-9a-f]{6}$/i;

/** The Content-ID of the logo in every email sealpost sends (one picture per email). */
export const EMAIL_LOGO_CID = 'brand-logo';

/**
 * The logo of a tenant's emails, for a PNG logo only: SVG in email is not shown by major clients
 * (Gmail, Outlook), which would leave a broken image where the name as heading reads fine. The
 * email carries the picture itself (cid:), because many mail clients block remote images.
 */
export function emailLogo(tenant: Tenant): EmailLogo | undefined {
  const logo = tenant.settings.brand.logo;
  if (!logo || logo.contentType !== 'image/png') return undefined;
  return { tenantId: tenant.id, digest: logo.digest, cid: EMAIL_LOGO_CID };
}

/** The tenant's colour for borders and buttons, checked again before it goes into a style attribute. */
export function emailColor(tenant: Tenant): string {
  const color = tenant.settings.brand.primaryColor;
  return color !== undefined && HEX.test(color) ? color : DEFAULT_BUTTON_COLOR;
}

/**
 * The branded frame of every email sealpost sends for a tenant: the card with the tenant's colour
 * and PNG logo, `inner` (trusted HTML built by the caller, with everything typed by others escaped),
 * and the "Secured by" line; with the logo the email must carry (`embeddingLogos` adds its bytes).
 */
export function brandedEmail(tenant: Tenant, inner: string): Pick<PickupNotification, 'html' | 'logo'> {
  const e = escapeHtml;
  const logo = emailLogo(tenant);
  const html = `<!doctype html><html><body style="margin:0;padding:24px;background:#f4f5f7;font-family:Arial,Helvetica,sans-serif;color:#1f2933">
<table role="presentation" width="100%" cellpadding="0" cellspacing="0"><tr><td align="center">
<table role="presentation" width="100%" style="max-width:560px;background:#ffffff;border-radius:8px;border-top:4px solid ${emailColor(tenant)};padding:32px" cellpadding="0" cellspacing="0">
<tr><td>
${logo ? `<img src="cid:${e(logo.cid)}" alt="${e(tenant.settings.displayName)}" height="40" style="display:block;height:40px;width:auto;border:0;margin:0 0 20px">\n` : ''}${inner}
</td></tr></table>
<p style="font-size:12px;color:#616e7c;margin:16px 0 0">Secured by sealpost</p>
</td></tr></table></body></html>`;
  return logo ? { html, logo } : { html };
}

/** Reads logo bytes by tenant and digest (TenantAdmin.getLogo). */
export interface LogoReader {
  getLogo(tenantId: string, digest: string): Promise<Uint8Array | undefined>;
}

/** `html` without the `<img>` of Content-ID `cid`, which brandedEmail wrote itself (escaped values: no ">" inside). */
function withoutImage(html: string, cid: string): string {
  const start = html.indexOf(`<img src="cid:${escapeHtml(cid)}"`);
  const end = start < 0 ? -1 : html.indexOf('>', start);
  if (end < 0) return html;
  return html.slice(0, start) + html.slice(html[end + 1] === '\n' ? end + 2 : end + 1);
}

/** Logos are content-addressed (the digest names the bytes), so a kept copy never goes stale. */
const LOGO_CACHE_ENTRIES = 32;

/**
 * A Notifier that puts the tenant's logo into each email that names one (`logo`): its bytes travel
 * as an inline part (`inline`). A logo that cannot be read is left out of the email, picture and
 * all, rather than sent as a broken image: the heading names the organisation anyway.
 */
export function embeddingLogos(inner: Notifier, logos: LogoReader, logger?: Logger): Notifier {
  const cache = new Map<string, Uint8Array>();
  const read = async (logo: EmailLogo): Promise<Uint8Array | undefined> => {
    const key = `${logo.tenantId}/${logo.digest}`;
    const kept = cache.get(key);
    if (kept) return kept;
    try {
      const bytes = await logos.getLogo(logo.tenantId, logo.digest);
      if (bytes) {
        if (cache.size >= LOGO_CACHE_ENTRIES) cache.delete(cache.keys().next().value as string);
        cache.set(key, bytes);
      }
      return bytes;
    } catch (error) {
      logger?.warn('email_logo_unreadable', { tenantId: logo.tenantId, error: describeError(error) });
      return undefined;
    }
  };
  return {
    async send(notification) {
      const { logo } = notification;
      if (!logo) return inner.send(notification);
      const bytes = await read(logo);
      if (bytes) return inner.send({ ...notification, inline: [{ cid: logo.cid, contentType: 'image/png', content: bytes }] });
      const { logo: _unread, ...rest } = notification;
      return inner.send({ ...rest, html: withoutImage(notification.html, logo.cid) });
    },
  };
}
