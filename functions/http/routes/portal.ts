/**
 * Recipient portal. GET never reveals, consumes or changes anything (mail scanners fetch links):
 * the page is the same static document for every id. Only POST /m/:id/open, sent after the
 * recipient clicks, returns ciphertext.
 */
import { Hono } from 'hono';
import { openMessage, type PickupDeps } from '../../core/pickup.ts';
import { ValidationError } from '../../core/errors.ts';
import { readJson, sourceIpOf, userAgentOf } from '../request-info.ts';
import { openRequestSchema } from '../schemas.ts';
import { methodNotAllowed } from '../problem.ts';
import type { WebAssets } from '../../core/ports.ts';
import type { AppEnv } from '../types.ts';

/** Response header of POST /m/:id/open: how many parts the ciphertext has. */
export const PARTS_HEADER = 'Sealpost-Parts';

export function portalRoutes(deps: PickupDeps & { web: WebAssets }): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.get('/m/:id', (c) => c.html(deps.web.pickupPage));

  app.post('/m/:id/open', async (c) => {
    const { value } = await readJson(c);
    const parsed = openRequestSchema.safeParse(value);
    if (!parsed.success) throw new ValidationError('Send {"token": "<access token>", "part": <0-based part, optional>}.', [{ field: 'token', message: 'is required' }]);
    const { token, part = 0 } = parsed.data;
    const opened = await openMessage(deps, c.req.param('id'), token, { sourceIp: sourceIpOf(c), userAgent: userAgentOf(c), part });
    return c.body(opened.ciphertext as Uint8Array<ArrayBuffer>, 200, {
      'Content-Type': 'application/octet-stream',
      // Large messages come in several parts (one Lambda response each); the client fetches the rest.
      [PARTS_HEADER]: String(opened.parts),
    });
  });

  app.all('/m/:id', (c) => methodNotAllowed(c, ['GET']));
  app.all('/m/:id/open', (c) => methodNotAllowed(c, ['POST']));

  app.get('/assets/:name', (c) => {
    const asset = deps.web.assets.get(c.req.param('name'));
    if (!asset) return c.notFound();
    return c.body(asset.body as Uint8Array<ArrayBuffer>, 200, { 'Content-Type': asset.contentType, 'Cache-Control': 'public, max-age=300' });
  });

  return app;
}
