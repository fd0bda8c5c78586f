import type { MiddlewareHandler } from 'hono';
import { ForbiddenError, constantTimeEqual } from '../../core/shared/index.ts';

/** The header CloudFront adds to every request it sends the API (its value is the edge secret). */
export const EDGE_SECRET_HEADER = 'X-Sealpost-Edge-Secret';

/**
 * In AWS, closes the API's own execute-api endpoint: a request that does not carry the secret
 * CloudFront adds is refused (403) before any route runs. So every request passed CloudFront —
 * and its WAF rules — and what CloudFront says about the viewer (the address in
 * X-Sealpost-Viewer-Ip, set by its viewer-request function over anything the viewer sent) can be
 * believed. Without a secret (npm start) nothing is checked and the socket's address is used.
 */
export function edgeGuard(secret: string | undefined): MiddlewareHandler {
  return async (c, next) => {
    if (secret !== undefined) {
      if (!constantTimeEqual(c.req.header(EDGE_SECRET_HEADER) ?? '', secret)) {
        throw new ForbiddenError('Use this service through its portal address, not the API endpoint directly.');
      }
      c.set('viaEdge', true);
    }
    await next();
  };
}
