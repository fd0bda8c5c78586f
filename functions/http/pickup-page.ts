/**
 * Fills the pickup page's slots. web/pickup.html marks each slot as
 * `<!--brand:NAME-->neutral content<!--/brand:NAME-->` (the tenant's brand) or
 * `<!--page:NAME--><!--/page:NAME-->` (what the message's head says the page must know before
 * opening: a passcode field, and who can open it); a page without them keeps the neutral content.
 * Everything a tenant typed goes in as text (HTML-escaped); URLs are built here from ids and digests.
 * The page gets no inline style or script: the colour comes from the tenant's theme stylesheet.
 */
import type { Custody } from '../core/messages/index.ts';
import { escapeHtml } from '../core/shared/index.ts';
import { logoPath, type Tenant } from '../core/tenants/index.ts';
import { primaryColorOf, themePath } from './routes/brand.ts';

export interface PageBrand {
  readonly name: string;
  /** Same-origin path of the logo, if the tenant has one. */
  readonly logoUrl?: string;
  /** Same-origin path of the theme stylesheet, if the tenant has a colour. */
  readonly themeUrl?: string;
}

export function brandPageOf(tenant: Tenant): PageBrand {
  const { displayName, brand } = tenant.settings;
  return {
    name: displayName,
    ...(brand.logo ? { logoUrl: logoPath(tenant.id, brand.logo.digest) } : {}),
    ...(primaryColorOf(tenant) ? { themeUrl: themePath(tenant.id, tenant.revision) } : {}),
  };
}

/** What the page must know about a live message before the recipient opens it. Never a secret. */
export interface PageFacts {
  /** The message needs a passcode: the page shows its field. */
  readonly passcode: boolean;
  readonly custody: Custody;
  /** The sending tenant's display name (for the custody sentence). */
  readonly tenantName: string;
}

const SLOT = /<!--brand:([a-z-]+)-->[\s\S]*?<!--\/brand:\1-->/g;
const PAGE_SLOT = /<!--page:([a-z-]+)-->[\s\S]*?<!--\/page:\1-->/g;

/** The custody sentence: who, besides the recipient's own link, can open the message. */
export function custodyText(facts: Pick<PageFacts, 'custody' | 'tenantName'>): string {
  return facts.custody === 'message-center'
    ? `${facts.tenantName}'s Message Center can also open this message.`
    : 'Only the link in your email can open this message.';
}

function fillFacts(template: string, facts: PageFacts | undefined): string {
  if (!facts) return template;
  const slots: Record<string, string> = {
    custody: `<p class="fineprint custody">${escapeHtml(custodyText(facts))}</p>`,
    passcode: facts.passcode
      ? '<p class="field"><label for="passcode-input">Passcode</label>'
        + '<input id="passcode-input" name="passcode" type="text" autocomplete="off" autocapitalize="off" spellcheck="false" maxlength="100" aria-describedby="passcode-hint">'
        + '<span id="passcode-hint" class="hint">The sender gave you this passcode separately, for example by phone. Capital letters count.</span></p>'
      : '',
  };
  return template.replace(PAGE_SLOT, (whole, slot: string) => slots[slot] ?? whole);
}

/** The page for `brand` and `facts`, or the neutral page (the template as built) without either. */
export function renderPickupPage(template: string, brand: PageBrand | undefined, facts?: PageFacts): string {
  const page = fillFacts(template, facts);
  if (!brand) return page;
  const name = escapeHtml(brand.name);
  const slots: Record<string, string> = {
    head: brand.themeUrl ? `<link rel="stylesheet" href="${escapeHtml(brand.themeUrl)}">` : '',
    mark: brand.logoUrl ? `<img class="brand-logo" src="${escapeHtml(brand.logoUrl)}" alt="${name}">` : `<span class="brand-name">${name}</span>`,
    'ready-title': `${name} sent you a secure message`,
  };
  return page
    // <title> is raw text to the parser (no comments inside), so it is replaced whole.
    // Function replacements: a "$" in a tenant's name must not act as a replacement pattern.
    .replace(/<title>[^<]*<\/title>/, () => `<title>Secure message from ${name}</title>`)
    .replace(SLOT, (whole, slot: string) => slots[slot] ?? whole);
}
