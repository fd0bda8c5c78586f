import type { MiddlewareHandler } from 'hono';
import type { Logger } from '../../core/shared/index.ts';

/**
 * One line per request: method, route pattern, status, duration, request id. The path is logged as
 * the matched route pattern (e.g. /m/:id), never with the query string; fragments never reach a server.
 */
export function accessLog(logger: Logger): MiddlewareHandler {
  return async (c, next) => {
    const started = performance.now();
    await next();
    logger.info('request', {
      requestId: c.get('requestId'),
      method: c.req.method,
      route: c.req.routePath,
      status: c.res.status,
      ms: Math.round(performance.now() - started),
    });
  };
}
