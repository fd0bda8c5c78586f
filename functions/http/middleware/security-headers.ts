import type { MiddlewareHandler } from 'hono';

/**
 * Strict headers on every response — pages, API, errors, 404s.
 * - No inline or third-party script; the page's only script is /assets/*.
 * - style-src allows inline style *attributes* so sanitized message HTML keeps its layout; with
 *   img/font/connect limited to our origin, CSS cannot send anything anywhere.
 * - frame-src 'none': the message frame is an about:srcdoc document, which frame-src does not govern
 *   (verified in Chromium by the browser tests); frame-ancestors 'none' against framing.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
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
