/**
 * Admin API for webhooks, mounted at /v1/admin/webhooks behind requireKey(…, 'admin') by the app:
 * this router adds no authentication of its own and reads the principal the middleware set.
 *
 *   POST   /                  register → 201 {id, secret (shown once), url, events, createdAt}
 *   GET    /                  list (never a secret)
 *   GET    /:id               one endpoint and its delivery health
 *   DELETE /:id               204
 *   GET    /:id/deliveries    delivery records, newest first (?limit=1…100)
 *   POST   /:id/ping          a signed test delivery, sent now
 */
import { Hono } from 'hono';
import { loadOnce } from '../../core/shared/index.ts';
import {
  createWebhook, deleteWebhook, getWebhook, listWebhookDeliveries, listWebhooks, pingWebhook, type WebhookAdminDeps,
} from '../../core/webhooks/index.ts';
import { methodNotAllowed } from '../problem.ts';
import { readJson, sourceIpOf, userAgentOf } from '../request-info.ts';
import type { AppEnv } from '../types.ts';

export type AdminWebhookRoutesDeps = WebhookAdminDeps;

export const DEFAULT_DELIVERY_PAGE = 50;
export type { CreateWebhookRequest } from '../webhook-schemas.ts';

/** The request schemas (and zod) are loaded by the first request that needs them. */
const schemas = loadOnce('Request validation', () => import('../webhook-schemas.ts'));

export function adminWebhookRoutes(deps: AdminWebhookRoutesDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const ctx = (c: Parameters<typeof sourceIpOf>[0]) => ({ sourceIp: sourceIpOf(c), userAgent: userAgentOf(c) });

  app.post('/', async (c) => {
    const { value } = await readJson(c);
    const input = (await schemas()).parseCreateWebhook(value);
    const created = await createWebhook(deps, c.get('principal'), input, ctx(c));
    c.header('Location', `/v1/admin/webhooks/${created.id}`);
    // The only response that carries the secret: no cache may keep it.
    c.header('Cache-Control', 'no-store');
    return c.json(created, 201);
  });

  app.get('/', async (c) => c.json({ webhooks: await listWebhooks(deps, c.get('principal')) }));

  app.get('/:id', async (c) => c.json(await getWebhook(deps, c.get('principal'), c.req.param('id'))));

  app.delete('/:id', async (c) => {
    await deleteWebhook(deps, c.get('principal'), c.req.param('id'), ctx(c));
    return c.body(null, 204);
  });

  app.get('/:id/deliveries', async (c) => {
    const query = (await schemas()).parseDeliveriesQuery(c.req.query());
    const deliveries = await listWebhookDeliveries(deps, c.get('principal'), c.req.param('id'), query.limit ?? DEFAULT_DELIVERY_PAGE);
    return c.json({ deliveries });
  });

  app.post('/:id/ping', async (c) => c.json(await pingWebhook(deps, c.get('principal'), c.req.param('id'))));

  app.all('/', (c) => methodNotAllowed(c, ['GET', 'POST']));
  app.all('/:id', (c) => methodNotAllowed(c, ['GET', 'DELETE']));
  app.all('/:id/deliveries', (c) => methodNotAllowed(c, ['GET']));
  app.all('/:id/ping', (c) => methodNotAllowed(c, ['POST']));
  return app;
}
