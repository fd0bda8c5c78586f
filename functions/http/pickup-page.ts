/**
 * Fills the pickup page's slots. web/pickup.html marks each slot as
 * `<!--brand:NAME-->neutral content<!--/brand:NAME-->` (the tenant's brand) or
 * `<!--page:NAME--><!--/page:NAME-->` (what the message's head says the page must know before
 * opening: whether there is a live message at all, whether it is a reply, a passcode field, and
 * who can open it); a page without them keeps the neutral content.
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

/**
 * Who wrote the message to whom: the organisation's message ("message"), a recipient's secure reply
 * to the organisation ("reply-to-tenant"), or the organisation's reply to a recipient's reply
 * ("reply-from-tenant"). The page's greeting and its reply form follow it.
 */
export type MessageKind = 'message' | 'reply-to-tenant' | 'reply-from-tenant';

/** What the page must know about a live message before the recipient opens it. Never a secret. */
export interface PageFacts {
  readonly kind: MessageKind;
  /** The message needs a passcode: the page shows its field. */
  readonly passcode: boolean;
  readonly custody: Custody;
  /** The sending tenant's display name (for the custody sentence). */
  readonly tenantName: string;
  /**
   * The sending tenant's id, on its branded page only: the page sends it with the open, which reads
   * that tenant with the message (a hint; protocol.md §5). Never on another tenant's hostname.
   */
  readonly tenantId?: string;
}

const SLOT = /<!--brand:([a-z-]+)-->[\s\S]*?<!--\/brand:\1-->/g;
const PAGE_SLOT = /<!--page:([a-z-]+)-->[\s\S]*?<!--\/page:\1-->/g;

/** The custody sentence: who, besides the recipient's own link, can open the message. */
export function custodyText(facts: Pick<PageFacts, 'custody' | 'tenantName'>): string {
  return facts.custody === 'message-center'
    ? `${facts.tenantName}'s Message Center can also open this message.`
    : 'Only the link in your email can open this message.';
}

/**
 * The passcode field: masked like a password (with a Show button), and saying before the first try
 * that capital letters count; the page warns when Caps Lock is on.
 */
const PASSCODE_FIELD = '<div class="field"><label for="passcode-input">Passcode</label>'
  + '<span class="input-with-action">'
  + '<input id="passcode-input" name="passcode" type="password" autocomplete="off" autocapitalize="off" spellcheck="false" maxlength="100" aria-describedby="passcode-hint">'
  + '<button id="passcode-show" class="input-action control" type="button" aria-pressed="false" aria-label="Show passcode">Show</button></span>'
  + '<span id="passcode-hint" class="hint">The sender gave you this passcode separately, for example by phone. Capital letters count.</span>'
  + '<span id="passcode-caps" class="hint hint-warn" hidden>Caps Lock is on.</span></div>';

/**
 * What the page knows of the message: `facts` for a live one; "unavailable" when the server knows
 * there is none to open (unknown, expired, revoked, a malformed id or a disabled tenant: one answer
 * for all, so the page tells no more than the open endpoint does); undefined when it could not look.
 */
export type PageMessage = PageFacts | 'unavailable' | undefined;

function fillFacts(template: string, message: PageMessage): string {
  if (message === undefined) return template;
  const slots: Record<string, string> = message === 'unavailable'
    ? { state: '<meta name="pickup-message" content="unavailable">' }
    : {
      state: `<meta name="pickup-message" content="live" data-kind="${message.kind}"${message.tenantId !== undefined ? ` data-tenant="${escapeHtml(message.tenantId)}"` : ''}>`,
      custody: `<p class="fineprint custody">${escapeHtml(custodyText(message))}</p>`,
      passcode: message.passcode ? PASSCODE_FIELD : '',
    };
  return template.replace(PAGE_SLOT, (whole, slot: string) => slots[slot] ?? whole);
}

/** The greeting and the document title for a message of `kind` from (or to) the tenant named `name` (escaped). */
function greeting(kind: MessageKind | undefined, name: string): { title: string; readyTitle: string } {
  switch (kind) {
    case 'reply-to-tenant': return { title: `Secure reply for ${name}`, readyTitle: `A secure reply for ${name}` };
    case 'reply-from-tenant': return { title: `Secure reply from ${name}`, readyTitle: `${name} sent you a secure reply` };
    default: return { title: `Secure message from ${name}`, readyTitle: `${name} sent you a secure message` };
  }
}

/** The page for `brand` and `message`, or the neutral page (the template as built) without either. */
export function renderPickupPage(template: string, brand: PageBrand | undefined, message?: PageMessage): string {
  const page = fillFacts(template, message);
  const kind = typeof message === 'object' ? message.kind : undefined;
  if (!brand) {
    // Unbranded (another tenant's hostname, or no lookup): a reply is still called a reply.
    return kind === 'reply-to-tenant' || kind === 'reply-from-tenant'
      ? page.replace(SLOT, (whole, slot: string) => (slot === 'ready-title' ? 'A secure reply is waiting for you' : whole))
      : page;
  }
  const name = escapeHtml(brand.name);
  const { title, readyTitle } = greeting(kind, name);
  const slots: Record<string, string> = {
    head: brand.themeUrl ? `<link rel="stylesheet" href="${escapeHtml(brand.themeUrl)}">` : '',
    mark: brand.logoUrl ? `<img class="brand-logo" src="${escapeHtml(brand.logoUrl)}" alt="${name}">` : `<span class="brand-name">${name}</span>`,
    'ready-title': readyTitle,
  };
  return page
    // <title> is raw text to the parser (no comments inside), so it is replaced whole.
    // Function replacements: a "$" in a tenant's name must not act as a replacement pattern.
    .replace(/<title>[^<]*<\/title>/, () => `<title>${title}</title>`)
    .replace(SLOT, (whole, slot: string) => slots[slot] ?? whole);
}
