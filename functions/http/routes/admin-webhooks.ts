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
import * as z from 'zod';
import { parseWith } from '../schemas.ts';
import { EVENT_TYPES } from '../../core/audit/index.ts';
import {
  MAX_WEBHOOK_URL_LENGTH, createWebhook, deleteWebhook, getWebhook, listWebhookDeliveries, listWebhooks, pingWebhook, type NewWebhook,
  type WebhookAdminDeps,
} from '../../core/webhooks/index.ts';
import { methodNotAllowed } from '../problem.ts';
import { readJson, sourceIpOf, userAgentOf } from '../request-info.ts';
import type { AppEnv } from '../types.ts';

export type AdminWebhookRoutesDeps = WebhookAdminDeps;

export const DEFAULT_DELIVERY_PAGE = 50;
export const MAX_DELIVERY_PAGE = 100;

/** POST /v1/admin/webhooks. The URL's finer rules (https, public address) are checked in core. */
export const createWebhookRequestSchema = z.strictObject({
  url: z.string().min(1, 'is required').max(MAX_WEBHOOK_URL_LENGTH, `must be at most ${MAX_WEBHOOK_URL_LENGTH} characters`),
  events: z.array(z.enum([...EVENT_TYPES, '*'], `must be one of ${EVENT_TYPES.join(', ')} or "*"`))
    .min(1, 'needs at least one event type, or ["*"] for all')
    .max(EVENT_TYPES.length, `allows at most ${EVENT_TYPES.length} event types`)
    .refine((events) => new Set(events).size === events.length, 'must not repeat an event type')
    .refine((events) => !events.includes('*') || events.length === 1, '"*" stands for all event types and must be alone'),
});

export type CreateWebhookRequest = z.input<typeof createWebhookRequestSchema>;

export const deliveriesQuerySchema = z.strictObject({
  limit: z.string().regex(/^\d{1,3}$/, 'must be a whole number').transform(Number)
    .refine((n) => n >= 1 && n <= MAX_DELIVERY_PAGE, `must be between 1 and ${MAX_DELIVERY_PAGE}`).optional(),
});

export function adminWebhookRoutes(deps: AdminWebhookRoutesDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const ctx = (c: Parameters<typeof sourceIpOf>[0]) => ({ sourceIp: sourceIpOf(c), userAgent: userAgentOf(c) });

  app.post('/', async (c) => {
    const { value } = await readJson(c);
    // The schema's refinements guarantee the filter's shape: distinct types, or "*" alone.
    const input = parseWith(createWebhookRequestSchema, value) as NewWebhook;
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
    const query = parseWith(deliveriesQuerySchema, c.req.query());
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
