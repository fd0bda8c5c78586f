import { createHash } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';

/**
 * The pickup page's one inline script, run while the page is parsed, before any other script: it
 * takes the link's key out of the address bar (and the history entry) at once and leaves it for the
 * page's script in a global. So the key never survives a page script that fails to load (a blocked
 * asset, a flaky connection): the address bar and history are clean either way. web/build.ts puts it
 * in the page; the CSP below admits exactly this text by its hash, and nothing else inline.
 */
export const FRAGMENT_GUARD_SCRIPT = "(function(){var h=location.hash;if(h.length>1){window.__sealpostFragment=h;history.replaceState(null,'',location.pathname+location.search)}})()";
export const FRAGMENT_GUARD_HASH = `sha256-${createHash('sha256').update(FRAGMENT_GUARD_SCRIPT).digest('base64')}`;

/**
 * Strict headers on every response — pages, API, errors, 404s.
 * - No third-party script, and no inline script but the fragment guard, admitted by its hash.
 * - style-src allows inline style *attributes* so sanitized message HTML keeps its layout; with
 *   img/font/connect limited to our origin, CSS cannot send anything anywhere.
 * - frame-src 'none': the message frame is an about:srcdoc document, which frame-src does not govern
 *   (verified in Chromium by the browser tests); frame-ancestors 'none' against framing.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  `script-src 'self' '${FRAGMENT_GUARD_HASH}'`,
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "font-src 'self'",
  "connect-src 'self'",
  "frame-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'Content-Security-Policy': CONTENT_SECURITY_POLICY,
  'Strict-Transport-Security': 'max-age=63072000; includeSubDomains',
  'Referrer-Policy': 'no-referrer',
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'Permissions-Policy': 'camera=(), microphone=(), geolocation=(), payment=(), usb=()',
};

/**
 * The headers of a sealed upload's part at /blobs/* (CloudFront's /blobs/* behaviour in AWS, the
 * dev server's proxy locally). A part is ciphertext, but its bytes are the sender's, served from the
 * portal's own origin: were a browser ever to render one (as a page, or run it as a script), the
 * page policy's script-src 'self' would admit it. So a part gets a CSP of its own that allows
 * nothing and sandboxes whatever renders (an opaque origin: no cookie, no storage, no script), and
 * nosniff with the application/octet-stream the download URL makes S3 answer.
 */
export const BLOB_CONTENT_SECURITY_POLICY = "default-src 'none'; sandbox";

export const BLOB_SECURITY_HEADERS: Readonly<Record<string, string>> = {
  ...SECURITY_HEADERS,
  'Content-Security-Policy': BLOB_CONTENT_SECURITY_POLICY,
};

export function securityHeaders(): MiddlewareHandler {
  return async (c, next) => {
    await next();
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) {
      // A route's own CSP (an SVG logo's sandbox) is kept beside ours: with two policies the browser
      // enforces both, so a route can only tighten, never loosen, the page policy.
      if (name === 'Content-Security-Policy' && c.res.headers.has(name)) c.res.headers.append(name, value);
      // Only the logo route sets this (to cross-origin), so webmail can show the logo in a notification.
      else if (name === 'Cross-Origin-Resource-Policy' && c.res.headers.has(name)) continue;
      else c.res.headers.set(name, value);
    }
    // Nothing we serve is worth caching except static assets; message data must never be cached.
    if (!c.res.headers.has('Cache-Control')) c.res.headers.set('Cache-Control', 'no-store');
  };
}
