/** Shared input rules for text that ends up in MIME headers, notifications or the portal. */

/**
 * C0/C1 controls (CR and LF would allow header injection), line/paragraph separators, and the
 * Unicode bidi controls and BOM ("invoice\u202Efdp.exe" would display as "invoiceexe.pdf").
 */
export const CONTROL_CHARS = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u2028-\u202e\u2066-\u2069\ufeff]/;

/** WHATWG "valid e-mail address" with at least one dot in the domain: the rule browsers and SES stand-ins apply. */
export const EMAIL_PATTERN = /^[a-zA-Z0-9.!#$%&'*+/=?^_`{|}~-]+@[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)+$/;

/**
 * A string's length in Unicode code points (a surrogate pair is one character): how JSON Schema's
 * maxLength and zod count the characters of a field, and so how every request limit does.
 */
export function codePointLength(value: string): number {
  let length = value.length;
  for (let i = 0; i < value.length - 1; i++) {
    if ((value.charCodeAt(i) & 0xfc00) === 0xd800 && (value.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      length--;
      i++;
    }
  }
  return length;
}

/** Text as HTML: the five characters that could end an element or an attribute, escaped. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);
}
