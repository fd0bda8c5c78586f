/**
 * Turns a message's HTML body into a self-contained `srcdoc` for a sandboxed iframe.
 *
 * Three layers, each enough on its own against script: DOMPurify removes script, event handlers,
 * forms and embedded content; the iframe is sandboxed without `allow-scripts`; and the frame carries
 * its own CSP (which only tightens the page's, which it inherits). Remote loading — a tracking pixel
 * tells the sender's mail provider when and where the message was read — is stopped the same way:
 * remote `src`/`srcset`/`background` and CSS `url()` are removed here, and both CSPs forbid it.
 */
import DOMPurify from 'dompurify';

export interface SanitizedHtml {
  /** A complete HTML document for `iframe.srcdoc`. */
  readonly srcdoc: string;
  /** How many remote images or backgrounds were removed (shown to the recipient). */
  readonly blockedRemote: number;
  /** Content-IDs (without angle brackets) the HTML actually displays. */
  readonly usedContentIds: ReadonlySet<string>;
}

/** Maps a Content-ID (no angle brackets) to a `data:image/…` URL of the inline part, if there is one. */
export type ContentIdResolver = (contentId: string) => string | undefined;

/** The class of the box that stands in for a picture the frame does not load (never one a message can set: classes are checked). */
const PLACEHOLDER_CLASS = 'sealpost-image-placeholder';

const FRAME_CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'; font-src data:; base-uri 'none'; form-action 'none'";

// Applied before the message's own styles, so a message that styles itself still wins.
const FRAME_BASE_CSS =
  'html{color-scheme:light}body{margin:0;padding:16px;font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1f2328;background:#fff;overflow-wrap:break-word}img{max-width:100%;height:auto}table{max-width:100%}pre{white-space:pre-wrap}'
  // A picture that is not shown: a quiet box with its description where the broken-image icon would be.
  + `.${PLACEHOLDER_CLASS}{display:inline-flex;align-items:center;justify-content:center;box-sizing:border-box;max-width:100%;min-width:2em;min-height:2em;padding:4px 8px;border:1px dashed #8a93a3;border-radius:4px;background:#f3f4f7;color:#4b5563;font:13px/1.3 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;text-align:center;vertical-align:middle;overflow:hidden}`;

const FORBID_TAGS = [
  'form', 'input', 'button', 'select', 'option', 'optgroup', 'textarea', 'datalist', 'output',
  'audio', 'video', 'source', 'track', 'picture', 'object', 'embed', 'iframe', 'frame', 'frameset',
  'link', 'meta', 'base', 'portal', 'dialog', 'template',
];
const URL_LIST_ATTR = ['srcset', 'background', 'poster'];
const FORBID_ATTR = [...URL_LIST_ATTR, 'action', 'formaction', 'ping', 'usemap', 'longdesc'];

// Images the frame may show from a data: URL; SVG is left out (it is a document, not just pixels).
const SAFE_DATA_IMAGE = /^data:image\/(?:png|jpe?g|gif|webp|avif|bmp);/i;
const MAX_CSS_LENGTH = 200_000;
const REMOTE = /^\s*(?:[a-z][a-z0-9+.-]*:)?\/\//i;

/** Sanitizes `html` for display in the sandboxed frame; `cid:` images become the inline parts' data: URLs. */
export function sanitizeMessageHtml(html: string, resolveContentId: ContentIdResolver): SanitizedHtml {
  let blockedRemote = 0;
  const usedContentIds = new Set<string>();
  const unshown: { readonly image: Element; readonly remote: boolean }[] = [];

  const mapUrl = (value: string): string | undefined => {
    const url = value.trim();
    if (/^cid:/i.test(url)) {
      const contentId = decodeCid(url.slice(4));
      const partUrl = contentId === undefined ? undefined : resolveContentId(contentId);
      if (partUrl !== undefined && contentId !== undefined) usedContentIds.add(contentId);
      return partUrl;
    }
    if (SAFE_DATA_IMAGE.test(url)) return url;
    if (REMOTE.test(url) || /^https?:/i.test(url)) blockedRemote++;
    return undefined;
  };

  // Forbidden URL attributes are dropped by DOMPurify itself; they are only counted here.
  DOMPurify.addHook('uponSanitizeAttribute', (_node, data) => {
    if (URL_LIST_ATTR.includes(data.attrName) && /(?:^|[\s,])(?:[a-z][a-z0-9+.-]*:)?\/\//i.test(data.attrValue)) blockedRemote++;
  });
  DOMPurify.addHook('afterSanitizeAttributes', (node) => {
    // A message may not use the placeholder's own class (it would pass for a blocked picture).
    if (node.classList?.contains(PLACEHOLDER_CLASS)) node.classList.remove(PLACEHOLDER_CLASS);
    if (node.hasAttribute('src')) {
      const before = blockedRemote;
      const mapped = mapUrl(node.getAttribute('src') ?? '');
      if (mapped === undefined || node.nodeName !== 'IMG') node.removeAttribute('src');
      else node.setAttribute('src', mapped);
      if (mapped === undefined && node.nodeName === 'IMG') unshown.push({ image: node, remote: blockedRemote > before });
    }
    if (node.nodeName === 'A' && node.hasAttribute('href')) {
      node.setAttribute('target', '_blank');
      node.setAttribute('rel', 'noopener noreferrer');
    }
    const style = node.getAttribute('style');
    if (style !== null) {
      const cleaned = cleanCss(style, mapUrl);
      if (cleaned === undefined) node.removeAttribute('style');
      else node.setAttribute('style', cleaned);
    }
  });

  let root: Node;
  try {
    root = DOMPurify.sanitize(html, {
      USE_PROFILES: { html: true },
      WHOLE_DOCUMENT: true,
      RETURN_DOM: true,
      FORBID_TAGS,
      FORBID_ATTR,
      ALLOW_DATA_ATTR: false,
    });
  } finally {
    DOMPurify.removeHook('uponSanitizeAttribute');
    DOMPurify.removeHook('afterSanitizeAttributes');
  }

  const element = root instanceof Element ? root : null;
  for (const { image, remote } of unshown) replaceWithPlaceholder(image, remote);
  const styles: string[] = [];
  for (const styleElement of element?.querySelectorAll('style') ?? []) {
    const cleaned = cleanCss(styleElement.textContent ?? '', mapUrl);
    if (cleaned !== undefined) styles.push(`<style>${cleaned}</style>`);
    styleElement.remove();
  }
  const body = element?.querySelector('body')?.outerHTML ?? '<body></body>';

  const srcdoc =
    '<!doctype html><html><head><meta charset="utf-8">' +
    `<meta http-equiv="Content-Security-Policy" content="${FRAME_CSP}">` +
    '<meta name="referrer" content="no-referrer">' +
    `<style>${FRAME_BASE_CSS}</style>${styles.join('')}</head>${body}</html>`;
  return { srcdoc, blockedRemote, usedContentIds };
}

/**
 * Keeps CSS that cannot fetch anything remote; returns undefined to drop it altogether. Escapes and
 * `@import` could hide a URL from the patterns below, so CSS using them is dropped rather than parsed.
 */
export function cleanCss(css: string, mapUrl: (url: string) => string | undefined): string | undefined {
  // Bounded so that crafted CSS cannot stall the page in the patterns below.
  if (css.length > MAX_CSS_LENGTH) return undefined;
  const text = css.replace(/\/\*[\s\S]*?\*\//g, '');
  if (/\\|@import|image-set|\bsrc\s*\(|expression\s*\(|<\//i.test(text)) return undefined;
  const rewritten = text.replace(/url\(\s*(["']?)([^"')]*)\1\s*\)/gi, (_match, _quote: string, url: string) => {
    const mapped = mapUrl(url);
    return mapped === undefined ? 'none' : `url("${mapped}")`;
  });
  // Anything still shaped like url( that is not one of ours means a form the pattern missed.
  if (/url\s*\((?!"data:image\/)/i.test(rewritten)) return undefined;
  const trimmed = rewritten.trim();
  return trimmed === '' ? undefined : trimmed;
}

const dimension = (value: string | null): number | undefined => {
  const n = value !== null && /^\s*\d{1,4}\s*(?:px)?\s*$/.test(value) ? Number.parseInt(value, 10) : Number.NaN;
  return Number.isFinite(n) ? n : undefined;
};

/**
 * Puts a neutral box with the picture's description where a picture that is not loaded (a remote
 * one, or an inline part that is missing) would show the browser's broken-image icon. A picture
 * declared smaller than 16 px is a tracking pixel: it leaves no trace at all.
 */
function replaceWithPlaceholder(image: Element, remote: boolean): void {
  const width = dimension(image.getAttribute('width'));
  const height = dimension(image.getAttribute('height'));
  if ((width !== undefined && width < 16) || (height !== undefined && height < 16)) {
    image.remove();
    return;
  }
  const alt = image.getAttribute('alt')?.trim() ?? '';
  const what = remote ? 'Remote image not loaded' : 'Image not available';
  const box = image.ownerDocument.createElement('span');
  box.className = PLACEHOLDER_CLASS;
  box.setAttribute('role', 'img');
  box.setAttribute('aria-label', alt ? `${alt} (${what.toLowerCase()})` : what);
  box.textContent = alt ? `${alt} — ${what.toLowerCase()}` : what;
  const size = [width === undefined ? '' : `width:${Math.min(width, 2000)}px`, height === undefined ? '' : `height:${Math.min(height, 2000)}px`].filter(Boolean);
  if (size.length > 0) box.setAttribute('style', size.join(';'));
  image.replaceWith(box);
}

function decodeCid(value: string): string | undefined {
  try {
    return decodeURIComponent(value).replace(/^<|>$/g, '');
  } catch {
    return undefined;
  }
}
