/**
 * A strict SVG gate for logos. Our own small tokenizer (no DOM on the server) accepts a subset of
 * XML — no DOCTYPE or entity declarations, no CDATA, no processing instructions except the XML
 * declaration — and an allow-list of shape, text and gradient elements and their presentation
 * attributes. Anything that could run script or reach outside the file (event handlers, <script>,
 * <foreignObject>, <image>, <a>, animation, <style>, href other than "#id", url() other than
 * "url(#id)", CSS functions that take URLs) is rejected with a message naming it.
 *
 * The accepted document is re-serialised from the tokens (comments dropped, everything escaped),
 * so what we store and serve is exactly what was checked, whatever quirks the input had.
 */

export class SvgRejected extends Error {}

const SVG_NS = 'http://www.w3.org/2000/svg';
const XLINK_NS = 'http://www.w3.org/1999/xlink';
const MAX_DEPTH = 64;
const MAX_ELEMENTS = 5000;

// The allow-lists are marked pure so that a bundle importing the tenants index for something else (the
// admin console's contrast check) leaves this checker out.
const ELEMENTS = /* @__PURE__ */ new Set([
  'svg', 'g', 'path', 'rect', 'circle', 'ellipse', 'line', 'polyline', 'polygon', 'text', 'tspan', 'defs',
  'linearGradient', 'radialGradient', 'stop', 'clipPath', 'mask', 'title', 'desc', 'use', 'symbol',
]);

/** Why a well-known dangerous (or merely unsupported) element is refused, in the uploader's terms. */
const ELEMENT_REASONS: Record<string, string> = {
  script: 'the <script> element is not allowed (a logo cannot contain scripts)',
  foreignObject: 'the <foreignObject> element is not allowed (it embeds HTML)',
  image: 'the <image> element is not allowed (a logo cannot embed or link other images)',
  a: 'the <a> element is not allowed (a logo cannot contain links)',
  style: 'the <style> element is not allowed; use presentation attributes (fill="…", stroke="…") instead — most editors have an export option for this',
  iframe: 'the <iframe> element is not allowed',
  feImage: 'filters are not allowed',
  filter: 'filters are not allowed',
  set: 'animation (<set>) is not allowed',
};

const GEOMETRY = [
  'x', 'y', 'x1', 'y1', 'x2', 'y2', 'cx', 'cy', 'r', 'rx', 'ry', 'fx', 'fy', 'fr', 'width', 'height', 'd', 'points',
  'viewBox', 'preserveAspectRatio', 'transform', 'pathLength', 'dx', 'dy', 'rotate', 'textLength', 'lengthAdjust',
  'gradientUnits', 'gradientTransform', 'spreadMethod', 'offset', 'clipPathUnits', 'maskUnits', 'maskContentUnits', 'refX', 'refY',
];
const PRESENTATION = [
  'fill', 'fill-opacity', 'fill-rule', 'stroke', 'stroke-width', 'stroke-linecap', 'stroke-linejoin', 'stroke-miterlimit',
  'stroke-dasharray', 'stroke-dashoffset', 'stroke-opacity', 'opacity', 'clip-path', 'clip-rule', 'mask', 'stop-color',
  'stop-opacity', 'color', 'display', 'visibility', 'shape-rendering', 'vector-effect', 'paint-order', 'text-anchor',
  'dominant-baseline', 'alignment-baseline', 'baseline-shift', 'font-family', 'font-size', 'font-weight', 'font-style',
  'font-variant', 'font-stretch', 'letter-spacing', 'word-spacing', 'text-decoration', 'text-rendering', 'writing-mode',
  'color-interpolation', 'isolation', 'mix-blend-mode', 'enable-background', 'style',
];
const OTHER = ['id', 'class', 'version', 'baseProfile', 'role', 'aria-label', 'aria-labelledby', 'aria-hidden', 'focusable', 'lang', 'xml:space', 'xml:lang', 'xmlns', 'xmlns:xlink'];
const ATTRIBUTES = /* @__PURE__ */ (() => new Set([...GEOMETRY, ...PRESENTATION, ...OTHER]))();
/** Attributes whose values are plain text or names, never CSS or a URL. */
const TEXT_ATTRIBUTES = /* @__PURE__ */ new Set(['id', 'class', 'role', 'aria-label', 'aria-labelledby', 'aria-hidden', 'lang', 'xml:lang', 'xml:space', 'version', 'baseProfile', 'focusable']);
/** Only these may reference another element, and only within the file ("#id"). */
const HREF_ELEMENTS = /* @__PURE__ */ new Set(['use', 'linearGradient', 'radialGradient']);
/** CSS/SVG functions allowed in any value: colours, transforms, and url(#local). image(), image-set(), etc. can fetch. */
const FUNCTIONS = /* @__PURE__ */ new Set(['url', 'rgb', 'rgba', 'hsl', 'hsla', 'matrix', 'translate', 'translatex', 'translatey', 'scale', 'rotate', 'skewx', 'skewy']);

const NAME = /[A-Za-z_][\w.:-]*/y;
const ATTRIBUTE = /\s+([A-Za-z_][\w.:-]*)\s*=\s*(?:"([^"<]*)"|'([^'<]*)')/y;
const TAG_END = /\s*(\/?)>/y;
const CLOSE_TAG = /<\/([A-Za-z_][\w.:-]*)\s*>/y;
const XML_DECLARATION = /^<\?xml\s+version\s*=\s*(["'])1\.\d\1(?:\s+encoding\s*=\s*(["'])utf-8\2)?(?:\s+standalone\s*=\s*(["'])(?:yes|no)\3)?\s*\?>/i;
const LOCAL_REF = /^#[A-Za-z_][\w.:-]*$/;
const LOCAL_URL = /url\(\s*(['"]?)#[A-Za-z_][\w.:-]*\1\s*\)/gi;
const FORBIDDEN_CHARS = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/;

function fail(message: string): never {
  throw new SvgRejected(message);
}

/** Decodes the five XML entities and numeric references; any other "&" is an error (no entity can be declared). */
function decodeText(raw: string, where: string): string {
  return raw.replace(/&([^;&\s]{0,12});?/g, (whole, ref: string) => {
    if (!whole.endsWith(';')) fail(`a bare "&" in ${where} (write &amp;)`);
    const named: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
    if (named[ref] !== undefined) return named[ref];
    const m = /^#(?:x([0-9a-fA-F]{1,6})|([0-9]{1,7}))$/.exec(ref);
    if (!m) fail(`the entity &${ref}; in ${where} is not allowed (only &amp; &lt; &gt; &quot; &apos; and numeric references)`);
    const code = m[1] !== undefined ? Number.parseInt(m[1], 16) : Number(m[2]);
    const valid = code === 0x9 || code === 0xa || code === 0xd || (code >= 0x20 && code <= 0xd7ff) || (code >= 0xe000 && code <= 0xfffd) || (code >= 0x10000 && code <= 0x10ffff);
    if (!valid) fail(`the character reference &${ref}; in ${where} is not a valid XML character`);
    return String.fromCodePoint(code);
  });
}

const escapeText = (s: string) => s.replace(/[&<>]/g, (c) => (c === '&' ? '&amp;' : c === '<' ? '&lt;' : '&gt;'));
const escapeAttribute = (s: string) =>
  s.replace(/[&<>"\t\n\r]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', '\t': '&#9;', '\n': '&#10;', '\r': '&#13;' })[c]!);

function checkAttribute(element: string, name: string, value: string, xlinkDeclared: boolean): void {
  const where = `attribute ${name} of <${element}>`;
  if (/^on/i.test(name)) fail(`event handler attributes such as ${name} are not allowed (a logo cannot contain scripts)`);
  if (name === 'href' || name === 'xlink:href') {
    if (!HREF_ELEMENTS.has(element)) fail(`the ${where} is not allowed`);
    if (!LOCAL_REF.test(value)) fail(`the ${where} must point inside the file ("#id"), not to ${JSON.stringify(value.slice(0, 80))}`);
    if (name === 'xlink:href' && !xlinkDeclared) fail(`the ${where} needs xmlns:xlink="${XLINK_NS}"`);
    return;
  }
  if (!ATTRIBUTES.has(name) && !/^data-[a-z0-9-]+$/.test(name)) fail(`the ${where} is not allowed`);
  if (name === 'xmlns' && value !== SVG_NS) fail(`xmlns must be "${SVG_NS}"`);
  if (name === 'xmlns:xlink' && value !== XLINK_NS) fail(`xmlns:xlink must be "${XLINK_NS}"`);
  if (name === 'xmlns' || name === 'xmlns:xlink') return;
  // Plain text and names: never parsed as CSS or as a URL by a renderer.
  if (TEXT_ATTRIBUTES.has(name) || name.startsWith('data-')) return;
  // CSS escapes, comments and at-rules could disguise a url(): none has a use in a logo's attributes.
  if (/[\\@<>{}]|\/\*/.test(value)) fail(`the ${where} contains a character that is not allowed (\\ @ < > { } or a CSS comment)`);
  if (/expression|binding|behavior|javascript:|data:/i.test(value)) fail(`the ${where} contains something that is not allowed (${JSON.stringify(value.slice(0, 80))})`);
  const withoutLocalUrls = value.replace(LOCAL_URL, '');
  if (/url\s*\(/i.test(withoutLocalUrls)) fail(`the ${where} refers outside the file; only url(#id) is allowed`);
  for (const [, fn] of withoutLocalUrls.matchAll(/([A-Za-z-]+)\s*\(/g)) {
    if (!FUNCTIONS.has(fn!.toLowerCase())) fail(`the ${where} uses ${fn}(), which is not allowed`);
  }
}

interface Frame {
  readonly name: string;
  readonly id?: string;
  readonly xlink: boolean;
  containsUse: boolean;
}

/** Validates and re-serialises an SVG logo; throws SvgRejected with a reason the uploader can act on. */
export function sanitizeSvg(bytes: Uint8Array): Uint8Array {
  let source: string;
  try {
    source = new TextDecoder('utf-8', { fatal: true }).decode(bytes); // also drops a leading BOM
  } catch {
    fail('it is not UTF-8 text');
  }
  if (FORBIDDEN_CHARS.test(source)) fail('it contains control characters');
  source = source.replace(/\r\n?/g, '\n');
  let pos = 0;
  if (source.startsWith('<?xml')) {
    const declaration = XML_DECLARATION.exec(source);
    if (!declaration) fail('its XML declaration is not <?xml version="1.0" encoding="UTF-8"?>');
    pos = declaration[0].length;
  }
  const out: string[] = [];
  const stack: Frame[] = [];
  const useTargets = new Set<string>();
  const idsContainingUse = new Set<string>();
  const ids = new Set<string>();
  let rootSeen = false;
  let rootClosed = false;
  let elements = 0;

  const closeElement = () => {
    const frame = stack.pop()!;
    if (frame.containsUse && frame.id !== undefined) idsContainingUse.add(frame.id);
    const parent = stack[stack.length - 1];
    if (parent && frame.containsUse) parent.containsUse = true;
    if (stack.length === 0) rootClosed = true;
  };

  while (pos < source.length) {
    if (source.startsWith('<!--', pos)) {
      const end = source.indexOf('-->', pos + 4);
      if (end < 0) fail('a comment is not closed');
      if (source.slice(pos + 4, end).includes('--')) fail('a comment contains "--"');
      pos = end + 3; // comments are dropped (editors leave generator names and paths in them)
    } else if (source.startsWith('<![CDATA[', pos)) {
      fail('CDATA sections are not allowed');
    } else if (source.startsWith('<!', pos)) {
      fail('DOCTYPE and ENTITY declarations are not allowed');
    } else if (source.startsWith('<?', pos)) {
      fail('processing instructions (<?…?>) are not allowed, apart from the XML declaration at the very start');
    } else if (source.startsWith('</', pos)) {
      CLOSE_TAG.lastIndex = pos;
      const m = CLOSE_TAG.exec(source);
      if (!m) fail('a closing tag is malformed');
      const open = stack[stack.length - 1];
      if (!open || open.name !== m[1]) fail(`</${m[1]}> does not close ${open ? `<${open.name}>` : 'any element'}`);
      out.push(`</${m[1]}>`);
      closeElement();
      pos = CLOSE_TAG.lastIndex;
    } else if (source[pos] === '<') {
      NAME.lastIndex = pos + 1;
      const nameMatch = NAME.exec(source);
      if (!nameMatch) fail('a tag is malformed');
      const name = nameMatch[0];
      if (ELEMENT_REASONS[name]) fail(ELEMENT_REASONS[name]);
      if (/^animate/i.test(name)) fail(`animation (<${name}>) is not allowed`);
      if (!ELEMENTS.has(name)) fail(`the <${name}> element is not allowed (a logo may use shapes, paths, text, gradients, clip paths and masks)`);
      if (rootClosed) fail('there is more than one root element');
      if (!rootSeen && name !== 'svg') fail(`the root element must be <svg>, not <${name}>`);
      if (++elements > MAX_ELEMENTS) fail(`it has more than ${MAX_ELEMENTS} elements`);
      if (stack.length >= MAX_DEPTH) fail(`its elements are nested more than ${MAX_DEPTH} deep`);
      pos = NAME.lastIndex;
      const attributes = new Map<string, string>();
      for (;;) {
        ATTRIBUTE.lastIndex = pos;
        const a = ATTRIBUTE.exec(source);
        if (!a) break;
        const attrName = a[1]!;
        if (attributes.has(attrName)) fail(`the attribute ${attrName} appears twice on <${name}>`);
        // XML attribute-value normalisation: literal whitespace becomes a space, references are kept.
        const raw = (a[2] ?? a[3] ?? '').replace(/[\t\n]/g, ' ');
        attributes.set(attrName, decodeText(raw, `attribute ${attrName} of <${name}>`));
        pos = ATTRIBUTE.lastIndex;
      }
      TAG_END.lastIndex = pos;
      const end = TAG_END.exec(source);
      if (!end) fail(`the <${name}> tag is malformed (attribute values must be quoted and must not contain "<")`);
      pos = TAG_END.lastIndex;
      if (!rootSeen && attributes.get('xmlns') !== SVG_NS) fail(`the <svg> root element needs xmlns="${SVG_NS}"`);
      rootSeen = true;
      const xlink = attributes.has('xmlns:xlink') || (stack[stack.length - 1]?.xlink ?? false);
      for (const [attrName, value] of attributes) checkAttribute(name, attrName, value, xlink);
      const id = attributes.get('id');
      if (id !== undefined) {
        if (ids.has(id)) fail(`the id ${JSON.stringify(id.slice(0, 80))} is used twice`);
        ids.add(id);
      }
      if (name === 'use') {
        useTargets.add((attributes.get('href') ?? attributes.get('xlink:href') ?? '#').slice(1));
        for (const frame of stack) frame.containsUse = true;
      }
      const serialisedAttributes = [...attributes].map(([k, v]) => ` ${k}="${escapeAttribute(v)}"`).join('');
      out.push(`<${name}${serialisedAttributes}${end[1] ? '/' : ''}>`);
      stack.push({ name, ...(id !== undefined ? { id } : {}), xlink, containsUse: name === 'use' });
      if (end[1]) closeElement();
    } else {
      const next = source.indexOf('<', pos);
      const raw = source.slice(pos, next < 0 ? source.length : next);
      const text = decodeText(raw, 'text');
      if (stack.length === 0) {
        if (text.trim() !== '') fail('there is text outside the <svg> element');
      } else {
        out.push(escapeText(text));
      }
      pos = next < 0 ? source.length : next;
    }
  }
  if (!rootSeen) fail('there is no <svg> element');
  if (stack.length > 0) fail(`<${stack[stack.length - 1]!.name}> is not closed`);
  // <use> of an element that itself contains <use> multiplies: a few kilobytes could make a
  // renderer draw millions of shapes. One level of reuse is all a logo needs.
  for (const target of useTargets) {
    if (idsContainingUse.has(target)) fail('<use> may only refer to elements that do not themselves contain <use>');
  }
  return new TextEncoder().encode(out.join(''));
}
