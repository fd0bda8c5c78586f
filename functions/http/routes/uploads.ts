/**
 * Sealed uploads (docs/protocol.md §21): POST /v1/uploads opens one, POST /v1/uploads/:id/parts
 * gives part URLs, POST /v1/uploads/:id/complete checks and sends it (Idempotency-Key honoured),
 * DELETE /v1/uploads/:id abandons it. Tenant from the API key, as everywhere.
 */
import { Hono } from 'hono';
import { loadOnce, sha256Base64Url } from '../../core/shared/index.ts';
import { abortUpload, completeUpload, openUpload, partUploads, type UploadDeps } from '../../core/messages/index.ts';
import type { TenantDirectory } from '../../core/tenants/index.ts';
import { requireKey } from '../middleware/auth.ts';
import { methodNotAllowed } from '../problem.ts';
import { readJson, sourceIpOf, userAgentOf } from '../request-info.ts';
import { idempotencyKeyOf } from './messages.ts';
import type { AppEnv } from '../types.ts';

/** The request schemas (and zod) are loaded by the first request that needs them. */
const schemas = loadOnce('Request validation', () => import('../upload-schemas.ts'));

export interface UploadRoutesDeps extends UploadDeps {
  readonly tenants: TenantDirectory;
}

export function uploadRoutes(deps: UploadRoutesDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.use('*', requireKey(deps.tenants, 'send', deps.clock));

  app.post('/', async (c) => {
    const { value } = await readJson(c);
    const opened = await openUpload(deps, c.get('principal'), (await schemas()).parseOpenUpload(value));
    c.header('Location', `/v1/uploads/${opened.id}`);
    // The custody password (Message Center) is the sender's to seal with: never stored by a cache.
    c.header('Cache-Control', 'no-store');
    return c.json(opened, 201);
  });

  app.post('/:id/parts', async (c) => {
    const { value } = await readJson(c);
    const { declaration, parts: requested } = (await schemas()).parsePartsRequest(value);
    const parts = await partUploads(deps, c.get('principal'), c.req.param('id'), declaration, requested);
    c.header('Cache-Control', 'no-store');
    return c.json({ parts });
  });

  app.post('/:id/complete', async (c) => {
    const idempotencyKey = idempotencyKeyOf(c);
    const { value, raw } = await readJson(c);
    const completion = (await schemas()).parseCompleteUpload(value);
    const receipt = await completeUpload(deps, c.get('principal'), c.req.param('id'), completion, {
      ...(idempotencyKey !== undefined ? { idempotencyKey } : {}),
      // The id is part of what is asked: one key reused for another upload is a mismatch.
      requestHash: await sha256Base64Url(`${c.req.param('id')}\n${raw}`),
      sourceIp: sourceIpOf(c),
      userAgent: userAgentOf(c),
    });
    c.header('Location', `/v1/messages/${receipt.id}`);
    return c.json(receipt, 201);
  });

  app.delete('/:id', async (c) => {
    await abortUpload(deps, c.get('principal'), c.req.param('id'));
    return c.body(null, 204);
  });

  app.all('/', (c) => methodNotAllowed(c, ['POST']));
  app.all('/:id', (c) => methodNotAllowed(c, ['DELETE']));
  app.all('/:id/parts', (c) => methodNotAllowed(c, ['POST']));
  app.all('/:id/complete', (c) => methodNotAllowed(c, ['POST']));
  return app;
}
