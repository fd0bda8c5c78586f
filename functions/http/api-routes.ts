/**
 * The sender and admin API (/v1/…) and secure replies (POST /m/{id}/reply): the route group the
 * sender-api entry serves (app.ts).
 */
import type { Hono } from 'hono';
import { requireKey } from './middleware/auth.ts';
import { adminRecoveryRoutes } from './routes/admin-recovery.ts';
import { adminWebhookRoutes } from './routes/admin-webhooks.ts';
import { adminRoutes } from './routes/admin.ts';
import { eventRoutes } from './routes/events.ts';
import { messageRoutes } from './routes/messages.ts';
import { openApiRoutes } from './routes/openapi.ts';
import { replyRoutes } from './routes/reply.ts';
import { uploadRoutes } from './routes/uploads.ts';
import type { AppDeps } from './app.ts';
import type { AppEnv } from './types.ts';

export function apiGroup(app: Hono<AppEnv>, deps: AppDeps): void {
  const { api } = deps;
  if (!api) return;
  // The API description is public; mounted first so no later /v1 middleware can put a key on it.
  app.route('/v1', openApiRoutes(api.portalOrigin));
  app.route('/v1/messages', messageRoutes(api));
  if (api.uploads) app.route('/v1/uploads', uploadRoutes({ ...api, ...api.uploads }));
  app.use('/v1/events', requireKey(api.tenants, 'send', api.clock));
  app.route('/v1/events', eventRoutes(api));
  // Every admin route, present and future, sits behind an admin key.
  app.use('/v1/admin/*', requireKey(api.tenants, 'admin', api.clock));
  app.route('/v1/admin', adminRoutes(api));
  if (api.webhookAdmin) app.route('/v1/admin/webhooks', adminWebhookRoutes(api.webhookAdmin));
  if (api.recovery) app.route('/v1/admin', adminRecoveryRoutes(api.recovery));
  if (api.reply) app.route('/', replyRoutes(api.reply));
}
