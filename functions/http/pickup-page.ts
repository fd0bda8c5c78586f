/**
 * Fills the pickup page's brand slots. web/pickup.html marks each slot as
 * `<!--brand:NAME-->neutral content<!--/brand:NAME-->`; an unbranded page keeps the neutral content.
 * Everything a tenant typed goes in as text (HTML-escaped); URLs are built here from ids and digests.
 * The page gets no inline style or script: the colour comes from the tenant's theme stylesheet.
 */
import type { Tenant } from '../core/model.ts';
import { logoPath } from '../core/settings.ts';
import { primaryColorOf, themePath } from './routes/brand.ts';

export interface PageBrand {
  readonly name: string;
  /** Same-origin path of the logo, if the tenant has one. */
  readonly logoUrl?: string;
  /** Same-origin path of the theme stylesheet, if the tenant has a colour. */
  readonly themeUrl?: string;
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

export function brandPageOf(tenant: Tenant): PageBrand {
  const { displayName, brand } = tenant.settings;
  return {
    name: displayName,
    ...(brand.logo ? { logoUrl: logoPath(tenant.id, brand.logo.digest) } : {}),
    ...(primaryColorOf(tenant) ? { themeUrl: themePath(tenant.id, tenant.revision) } : {}),
  };
}

const SLOT = /<!--brand:([a-z-]+)-->[\s\S]*?<!--\/brand:\1-->/g;

/** The page for `brand`, or the neutral page (the template as built) without one. */
export function renderPickupPage(template: string, brand: PageBrand | undefined): string {
  if (!brand) return template;
  const name = escapeHtml(brand.name);
  const slots: Record<string, string> = {
    head: brand.themeUrl ? `<link rel="stylesheet" href="${escapeHtml(brand.themeUrl)}">` : '',
    mark: brand.logoUrl ? `<img class="brand-logo" src="${escapeHtml(brand.logoUrl)}" alt="${name}">` : `<span class="brand-name">${name}</span>`,
    'ready-title': `${name} sent you a secure message`,
  };
  return template
    // <title> is raw text to the parser (no comments inside), so it is replaced whole.
    // Function replacements: a "$" in a tenant's name must not act as a replacement pattern.
    .replace(/<title>[^<]*<\/title>/, () => `<title>Secure message from ${name}</title>`)
    .replace(SLOT, (whole, slot: string) => slots[slot] ?? whole);
}
