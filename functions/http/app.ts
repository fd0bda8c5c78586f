/**
 * createApp(deps): the HTTP surface as a Hono app. It imports no AWS SDK; entries build the
 * adapters and pass them in. Each route group is mounted only when its dependencies are given, so a
 * deployable carries (and can serve) only what it needs.
 */
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { PayloadTooLargeError, type Logger } from '../core/shared/index.ts';
import { accessLog } from './middleware/access-log.ts';
import { requestId } from './middleware/request-id.ts';
import { edgeGuard } from './middleware/edge-guard.ts';
import { securityHeaders } from './middleware/security-headers.ts';
import { errorToResponse, problem } from './problem.ts';
import { messageRoutes, type MessageRoutesDeps } from './routes/messages.ts';
import { adminRoutes, type AdminRoutesDeps } from './routes/admin.ts';
import { eventRoutes } from './routes/events.ts';
import { requireKey } from './middleware/auth.ts';
import { adminWebhookRoutes } from './routes/admin-webhooks.ts';
import type { WebhookAdminDeps } from '../core/webhooks/index.ts';
import { portalRoutes, type PortalDeps } from './routes/portal.ts';
import { brandRoutes, type BrandRoutesDeps } from './routes/brand.ts';
import { consoleRoutes } from './routes/console.ts';
import { openApiRoutes } from './routes/openapi.ts';
import { adminRecoveryRoutes } from './routes/admin-recovery.ts';
import { inboxRoutes, type InboxRoutesDeps } from './routes/inbox.ts';
import { replyRoutes } from './routes/reply.ts';
import { uploadRoutes } from './routes/uploads.ts';
import type { UploadDeps } from '../core/messages/index.ts';
import type { RecoveryDeps } from '../core/message-center/index.ts';
import type { ReplyDeps } from '../core/replies/index.ts';
import { MAX_REQUEST_BYTES } from './schemas.ts';
import type { AppEnv } from './types.ts';

export type ApiDeps = MessageRoutesDeps & AdminRoutesDeps & {
  /** Webhook administration (/v1/admin/webhooks), when the deployment has KMS for their secrets. */
  readonly webhookAdmin?: WebhookAdminDeps;
  /** Emergency recovery of Message Center messages (/v1/admin/messages/{id}/recover). */
  readonly recovery?: RecoveryDeps;
  /** Secure replies (POST /m/{id}/reply): sealed by the sender API's pipeline. */
  readonly reply?: ReplyDeps;
  /** Sealed uploads (/v1/uploads), when the deployment has a blob store (S3). */
  readonly uploads?: Pick<UploadDeps, 'uploads' | 'blobs' | 'maxUploadBytes'>;
};

export interface AppDeps {
  readonly logger: Logger;
  readonly requestIds?: () => string;
  /** In AWS: the secret CloudFront adds to every request; without it, a request is refused (edge-guard.ts). */
  readonly edgeSecret?: string;
  /** The sender and admin API (/v1/…). */
  readonly api?: ApiDeps;
  /** The recipient portal (/m/:id, /m/:id/open, /assets/*). */
  readonly portal?: PortalDeps & BrandRoutesDeps;
  /** The recipient inbox of Message Center tenants (/inbox, /inbox/api/*). */
  readonly inbox?: InboxRoutesDeps;
}

export function createApp(deps: AppDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.use('*', requestId(deps.requestIds));
  app.use('*', securityHeaders());
  app.use('*', accessLog(deps.logger));
  app.use('*', edgeGuard(deps.edgeSecret));
  app.use('*', bodyLimit({
    maxSize: MAX_REQUEST_BYTES,
    onError: () => { throw new PayloadTooLargeError(`The request body exceeds ${MAX_REQUEST_BYTES} bytes.`); },
  }));

  app.get('/healthz', (c) => c.json({ status: 'ok' }));
  if (deps.api) {
    const api = deps.api;
    // The API description is public; mounted first so no later /v1 middleware can put a key on it.
    app.route('/v1', openApiRoutes());
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
  if (deps.portal) {
    app.route('/', portalRoutes(deps.portal));
    app.route('/', brandRoutes(deps.portal));
    app.route('/', consoleRoutes(deps.portal.web));
  }
  if (deps.inbox) app.route('/', inboxRoutes(deps.inbox));

  app.notFound((c) => problem(c, 404, 'not-found', 'Not found', 'There is nothing at this address.'));
  app.onError((error, c) => errorToResponse(error, c, deps.logger));
  return app;
}
