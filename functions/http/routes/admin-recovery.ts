/**
 * Emergency recovery, mounted at /v1/admin behind requireKey(…, 'admin') by the app: this router
 * adds no authentication of its own and reads the principal the middleware set.
 *
 *   POST /messages/:id/recover   → 201 {url, expiresAt}: a one-time recovery link (Message Center
 *                                  messages only; 409 with the reason for a standard-mode message)
 *
 * The link is a bearer credential for the whole message: it is in this response only (no-store),
 * never in a log line or an event.
 */
import { Hono } from 'hono';
import { recoverMessage, type RecoveryDeps } from '../../core/message-center/index.ts';
import { methodNotAllowed } from '../problem.ts';
import { sourceIpOf, userAgentOf } from '../request-info.ts';
import type { AppEnv } from '../types.ts';

export type AdminRecoveryRoutesDeps = RecoveryDeps;

export function adminRecoveryRoutes(deps: AdminRecoveryRoutesDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.post('/messages/:id/recover', async (c) => {
    const link = await recoverMessage(deps, c.get('principal'), c.req.param('id'), { sourceIp: sourceIpOf(c), userAgent: userAgentOf(c) });
    return c.json(link, 201, { 'Cache-Control': 'no-store' });
  });
  app.all('/messages/:id/recover', (c) => methodNotAllowed(c, ['POST']));

  return app;
}
