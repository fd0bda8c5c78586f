/**
 * Watches a Chromium context for hostile content getting anywhere: canaries that record any call or
 * assignment of a payload's marker global and any alert/confirm/prompt/print or dialog, every
 * request that leaves the app's origin (aborted, and recorded), CSP reports (attempts the policy
 * blocked). And inspects a page: markers in the top document only as text, the message frame
 * sandboxed and free of anything active.
 */
import type { BrowserContext, Page } from 'playwright-core';

export interface Watch {
  /** What ran: `call hx012`, `set hx012`, `alert hx013`, `dialog hx013`. Must stay empty. */
  readonly fired: string[];
  /** Requests to anywhere but the app's origin (each was aborted). Must stay empty. */
  readonly offOrigin: string[];
  /** CSP violation reports: attempts the policy blocked. */
  readonly blocked: string[];
  /** Uncaught errors of the pages. */
  readonly errors: string[];
  /** Every host an http(s) request went to: the app's alone. */
  readonly hosts: Set<string>;
}

/** The sandbox the message frame must have: no allow-scripts, no allow-same-origin (web/src/lib/render.ts). */
export const FRAME_SANDBOX = 'allow-popups allow-popups-to-escape-sandbox';

const FIRED = 'HOSTILE-FIRED ';
const BLOCKED = 'HOSTILE-CSP ';

/** Installs the canaries (in every frame, before any script of the page) and the request guard. */
export async function watchContext(context: BrowserContext, appOrigin: string, markers: readonly string[]): Promise<Watch> {
  const watch: Watch = { fired: [], offOrigin: [], blocked: [], errors: [], hosts: new Set() };
  await context.addInitScript(({ ids, fired, blocked }) => {
    const record = (what: string): void => console.log(fired + what);
    const w = window as unknown as Record<string, unknown>;
    for (const id of ids) {
      Object.defineProperty(w, id, { configurable: false, get: () => () => record(`call ${id}`), set: () => record(`set ${id}`) });
    }
    for (const name of ['alert', 'confirm', 'prompt', 'print']) w[name] = (message?: unknown) => record(`${name} ${String(message)}`);
    document.addEventListener('securitypolicyviolation', (e) => console.log(`${blocked}${e.violatedDirective} ${e.blockedURI}`));
  }, { ids: [...markers], fired: FIRED, blocked: BLOCKED });
  await context.route((url) => url.origin !== appOrigin, (route) => {
    watch.offOrigin.push(route.request().url());
    return route.abort();
  });
  const follow = (page: Page): void => {
    page.on('console', (m) => {
      const text = m.text();
      if (text.startsWith(FIRED)) watch.fired.push(text.slice(FIRED.length));
      else if (text.startsWith(BLOCKED)) watch.blocked.push(text.slice(BLOCKED.length));
    });
    page.on('dialog', (dialog) => {
      watch.fired.push(`dialog ${dialog.message()}`);
      void dialog.dismiss().catch(() => undefined);
    });
    page.on('pageerror', (error) => watch.errors.push(error.message));
  };
  context.pages().forEach(follow);
  context.on('page', follow);
  // Anything that is not an http(s) request of the app (blob:, data:) never reaches route().
  context.on('request', (request) => {
    const url = new URL(request.url());
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return;
    watch.hosts.add(url.host);
    if (url.origin !== appOrigin && !watch.offOrigin.includes(request.url())) watch.offOrigin.push(request.url());
  });
  return watch;
}

export interface TopInspection {
  /** Attributes (other than inert ones) holding a marker: `tag@attribute`. */
  readonly activeAttributes: string[];
  /** Markers in text whose parent element could only have come from markup: `tag: text`. */
  readonly markupText: string[];
  /** Expected texts that are not in the page's text (or its fields' values). */
  readonly missingTexts: string[];
  /** The `sandbox` of every iframe, frame, object or embed on the page (`iframe.html-body: …`). */
  readonly frames: string[];
  /** How many marker occurrences the page shows as text. */
  readonly markersShown: number;
  /** The canaries are in place on this page (so that silence means something). */
  readonly canaries: boolean;
}

/**
 * Inspects the top document of `page`: every marker must be text in an element the pages build,
 * or an inert attribute; each of `texts` must be in the page's text or a field's value, verbatim.
 */
export async function inspectTop(page: Page, texts: readonly string[]): Promise<TopInspection> {
  return page.evaluate((expected) => {
    const marker = /hx\d{3}/;
    // Attributes that only ever hold text for people or the page's own data, never URL, style or code.
    const inert = new Set(['value', 'aria-label', 'title', 'alt', 'download', 'placeholder', 'datetime']);
    // Elements the pages put text into; message markup would bring others (b, script, svg, style…).
    const textParents = new Set(['p', 'span', 'h1', 'h2', 'h3', 'h4', 'dd', 'dt', 'li', 'pre', 'a', 'code', 'td', 'th', 'button', 'label', 'div', 'time', 'caption', 'legend', 'strong', 'summary', 'textarea', 'output']);
    const activeAttributes: string[] = [];
    const markupText: string[] = [];
    let markersShown = 0;
    for (const element of document.querySelectorAll('*')) {
      for (const attribute of element.attributes) {
        if (!marker.test(attribute.value) && !marker.test(attribute.name)) continue;
        const frameDocument = attribute.name === 'srcdoc' && element.matches('iframe.html-body');
        // The plain-text body links its http(s) URLs, as text the recipient may choose to follow.
        const autolink = attribute.name === 'href' && element.matches('pre.text-body > a[rel="noopener noreferrer"][target="_blank"]') && /^https?:\/\//.test(attribute.value);
        if (!inert.has(attribute.name) && !attribute.name.startsWith('data-') && !frameDocument && !autolink) activeAttributes.push(`${element.localName}@${attribute.name}=${attribute.value.slice(0, 80)}`);
      }
    }
    const walker = document.createTreeWalker(document.documentElement, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const text = node.textContent ?? '';
      if (!marker.test(text)) continue;
      markersShown += text.match(/hx\d{3}/g)?.length ?? 0;
      const parent = node.parentElement;
      const title = parent?.localName === 'title' && parent.parentElement?.localName === 'head';
      if (!parent || (!textParents.has(parent.localName) && !title)) markupText.push(`${parent?.localName ?? '?'}: ${text.slice(0, 80)}`);
    }
    const fields = [...document.querySelectorAll<HTMLInputElement | HTMLTextAreaElement>('input, textarea')].map((e) => e.value);
    const all = `${document.documentElement.textContent ?? ''}\n${fields.join('\n')}`;
    const frames = [...document.querySelectorAll('iframe, frame, object, embed')].map((e) => `${e.localName}${e.className ? `.${e.className}` : ''}: ${e.getAttribute('sandbox') ?? '(none)'}`);
    const canaries = typeof Object.getOwnPropertyDescriptor(window, 'hx001')?.get === 'function' && !/\[native code\]/.test(String(window.alert));
    return { activeAttributes, markupText, missingTexts: expected.filter((t) => !all.includes(t)), frames, markersShown, canaries };
  }, [...texts]);
}

export interface FrameInspection {
  /** Probes found as elements: the payloads that started in normal markup. */
  readonly probes: string[];
  /** Anything active the sanitizer let through: elements, handlers, URLs. */
  readonly active: string[];
}

/** Inspects the sandboxed message frame's document (from inside: the page itself cannot read it). */
export async function inspectFrame(page: Page): Promise<FrameInspection> {
  const frame = await (await page.$('iframe.html-body'))?.contentFrame();
  if (!frame) return { probes: [], active: ['no message frame'] };
  return frame.evaluate(() => {
    const doc = document;
    const active: string[] = [];
    const bodyElements = doc.body.querySelectorAll('*');
    for (const element of bodyElements) {
      if (/^(script|iframe|frame|frameset|object|embed|applet|portal|form|input|button|textarea|select|base|link|meta|template|noscript|foreignobject|animate|set|handler|image|use|feimage)$/i.test(element.localName)) active.push(`<${element.localName}>`);
      for (const attribute of element.attributes) {
        const name = attribute.name.toLowerCase();
        const value = attribute.value.trim();
        if (name.startsWith('on') || name === 'srcdoc' || name === 'formaction' || name === 'action' || name === 'ping' || name === 'srcset' || name === 'background') active.push(`${element.localName}@${name}`);
        // Relative links resolve against the page (a link to our own origin, opened in a new tab).
        if ((name === 'href' || name === 'xlink:href') && /^[^/?#]*:/.test(value) && !/^(?:https?|mailto):/i.test(value)) active.push(`${element.localName}@${name}=${value.slice(0, 60)}`);
        if (name === 'src' && !/^data:image\/(?:png|jpe?g|gif|webp|avif|bmp);/i.test(value)) active.push(`${element.localName}@src=${value.slice(0, 60)}`);
        if (name === 'style' && /url\s*\((?!"data:image\/)/i.test(value)) active.push(`${element.localName}@style=${value.slice(0, 60)}`);
      }
    }
    // The head is ours: charset, the frame's CSP, referrer policy, the base style and the message's cleaned styles.
    for (const element of doc.head.querySelectorAll('*')) {
      const ours = element.localName === 'style' || (element.localName === 'meta' && (element.hasAttribute('charset') || element.getAttribute('name') === 'referrer' || element.getAttribute('http-equiv') === 'Content-Security-Policy'));
      if (!ours) active.push(`head <${element.localName}>`);
    }
    for (const style of doc.querySelectorAll('style')) {
      if (/@import|url\s*\((?!"data:image\/)/i.test(style.textContent ?? '')) active.push(`style: ${(style.textContent ?? '').slice(0, 60)}`);
    }
    const probes = [...doc.querySelectorAll('p.probe')].map((p) => p.textContent ?? '');
    return { probes, active };
  });
}
