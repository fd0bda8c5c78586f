/**
 * A scripted link-scanning bot in Chromium, like the mail-security products that "detonate" links:
 * it opens a URL, lets the page run, fills every text field with junk and clicks every button and
 * link it finds, one at a time, on every page it ends up with (popups too), until a whole pass over
 * the pages finds nothing it has not clicked yet.
 */
import type { BrowserContext, Page, Request } from 'playwright-core';

/** The User-Agent of the bot's context: the audit trail names it on whatever the bot did. */
export const BOT_USER_AGENT = 'Mozilla/5.0 (compatible; SealpostTestScanner/1.0; +https://scanner.invalid/bot)';
/** What the bot types: into email fields an address, into every other text field this. */
export const BOT_JUNK = { text: 'scanner junk 0000', email: 'scanner@scanner.invalid' } as const;

const CLICKABLE = 'button, a[href], input[type=submit], input[type=button], [role=button]';
const FILLABLE = 'textarea, input:not([type]), input[type=text], input[type=email], input[type=search], input[type=tel], input[type=url], input[type=password], input[type=number]';
const MAX_CLICKS = 40;

/** What the bot knows of each page's requests: those still waiting for an answer, and when it last saw one. */
interface Traffic {
  readonly pending: Map<Request, Page>;
  readonly lastSeen: Map<Page, number>;
}

/**
 * Resolves once `page` has had no request pending and shown nothing busy (`aria-busy="true"`, which
 * the pages set while they work) for `quietMs`, waiting at most `maxMs`.
 */
async function settle(page: Page, traffic: Traffic, quietMs = 250, maxMs = 5000): Promise<void> {
  const started = Date.now();
  while (Date.now() - started < maxMs) {
    const busy = [...traffic.pending.values()].includes(page)
      || await page.evaluate(() => document.querySelector('[aria-busy="true"]') !== null).catch(() => false);
    if (busy) traffic.lastSeen.set(page, Date.now());
    else if (Date.now() - (traffic.lastSeen.get(page) ?? 0) >= quietMs) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** The page's visible, enabled clickables, each named by where it is and what it says. */
function clickables(page: Page): Promise<string[]> {
  return page.evaluate((selector) => [...document.querySelectorAll<HTMLElement>(selector)].map((element) => {
    const usable = element.checkVisibility() && !(element as HTMLButtonElement).disabled;
    const label = (element.textContent ?? (element as HTMLInputElement).value ?? '').replace(/\s+/g, ' ').trim();
    return usable ? `${location.pathname} ${element.tagName.toLowerCase()}#${element.id} ${label}` : '';
  }), CLICKABLE);
}

async function fillFields(page: Page): Promise<void> {
  const fields = page.locator(FILLABLE);
  for (let i = 0; i < await fields.count(); i++) {
    const field = fields.nth(i);
    if (!(await field.isVisible()) || !(await field.isEditable())) continue;
    const email = (await field.getAttribute('type')) === 'email' || /email/i.test(`${await field.getAttribute('name')} ${await field.getAttribute('autocomplete')}`);
    await field.fill(email ? BOT_JUNK.email : BOT_JUNK.text).catch(() => undefined);
  }
}

/**
 * Runs the bot in `context` (which the caller made with BOT_USER_AGENT and routes as it likes): it
 * opens each of `urls` in a page of its own, then clicks until nothing new is left on any page.
 * Returns what it clicked, in order.
 */
export async function runScannerBot(context: BrowserContext, urls: readonly string[]): Promise<string[]> {
  // A request is pending until its response arrives (or it fails): the body may never be read.
  const traffic: Traffic = { pending: new Map(), lastSeen: new Map() };
  const seen = (request: Request, pending: boolean): void => {
    let page: Page;
    try {
      page = request.frame().page();
    } catch {
      return; // A service worker's request, or one of a frame already gone: no page waits for it.
    }
    traffic.lastSeen.set(page, Date.now());
    if (pending) traffic.pending.set(request, page);
    else traffic.pending.delete(request);
  };
  context.on('request', (request) => seen(request, true));
  context.on('response', (response) => seen(response.request(), false));
  context.on('requestfinished', (request) => seen(request, false));
  context.on('requestfailed', (request) => seen(request, false));
  context.on('page', (page) => page.on('dialog', (dialog) => void dialog.dismiss().catch(() => undefined)));

  for (const url of urls) await (await context.newPage()).goto(url);
  const clicked: string[] = [];
  while (clicked.length < MAX_CLICKS) {
    let next: { page: Page; index: number; name: string } | undefined;
    for (const page of context.pages()) {
      if (page.isClosed()) continue;
      await settle(page, traffic);
      // A background tab's frames are throttled: work on one page at a time, in front.
      await page.bringToFront();
      await fillFields(page).catch(() => undefined);
      const names = await clickables(page).catch(() => [] as string[]);
      const index = names.findIndex((name) => name !== '' && !clicked.includes(name));
      if (index >= 0) {
        next = { page, index, name: names[index]! };
        break;
      }
    }
    if (!next) break;
    clicked.push(next.name);
    // The click itself is activity: what it starts (a key derived, then a request) may take a moment.
    traffic.lastSeen.set(next.page, Date.now());
    await next.page.locator(CLICKABLE).nth(next.index).click({ timeout: 2000 }).catch(() => undefined);
    traffic.lastSeen.set(next.page, Date.now());
  }
  for (const page of context.pages()) await settle(page, traffic);
  return clicked;
}
