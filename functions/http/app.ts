/**
 * createApp(deps, ...groups): the HTTP surface as a Hono app. It imports no AWS SDK; entries build
 * the adapters and pass them in. The route groups are modules of their own (api-routes.ts,
 * portal-routes.ts), and each entry passes only those it serves: a deployable then carries (and can
 * serve) only the routes it needs, and loads no other group's code or schemas when it starts. Each
 * group mounts its routes only when its dependencies are given.
 */
import { Hono } from 'hono';
import { TrieRouter } from 'hono/router/trie-router';
import { getPath } from 'hono/utils/url';
import { bodyLimit } from 'hono/body-limit';
import { PayloadTooLargeError, type Logger } from '../core/shared/index.ts';
import { accessLog } from './middleware/access-log.ts';
import { requestId } from './middleware/request-id.ts';
import { edgeGuard } from './middleware/edge-guard.ts';
import { securityHeaders } from './middleware/security-headers.ts';
import { errorToResponse, problem } from './problem.ts';
import type { MessageRoutesDeps } from './routes/messages.ts';
import type { AdminRoutesDeps } from './routes/admin.ts';
import type { WebhookAdminDeps } from '../core/webhooks/index.ts';
import type { PortalDeps } from './routes/portal.ts';
import type { BrandRoutesDeps } from './routes/brand.ts';
import type { InboxRoutesDeps } from './routes/inbox.ts';
import type { UploadDeps } from '../core/messages/index.ts';
import { faviconRoutes } from './routes/favicon.ts';
import type { RecoveryDeps } from '../core/message-center/index.ts';
import type { ReplyDeps } from '../core/replies/index.ts';
import { MAX_REQUEST_BYTES } from './json-limits.ts';
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

/** Mounts a group of routes on the app, for the dependencies it finds in `deps` (none: nothing). */
export type RouteGroup = (app: Hono<AppEnv>, deps: AppDeps) => void;

/**
 * The path the router matches: Hono's, with a segment that is a literal `*` (or `%2A`) given as
 * `%2A`. TrieRouter matches a `*` segment both as itself and as the wildcard every middleware is
 * mounted on, so each middleware would run twice for it — two access-log lines for one request, an
 * API key looked up twice. No route has such a segment; a parameter that is `*` still reads `*`
 * (Hono decodes parameters). test/http/routing.test.ts.
 */
function routedPath(request: Request): string {
  return getPath(request).replace(/(?<=\/)\*(?=\/|$)/g, '%2A');
}

export function createApp(deps: AppDeps, ...groups: readonly RouteGroup[]): Hono<AppEnv> {
  // An app of no group would answer 404 to everything: say so rather than serve it.
  if (groups.length === 0) throw new Error('createApp: name the route groups the app serves (apiGroup, portalGroup, inboxGroup)');
  // TrieRouter: ready as routes are added. Hono's default (SmartRouter, RegExpRouter first) builds
  // one expression of every route on the first request, a few milliseconds of every cold start.
  const app = new Hono<AppEnv>({ router: new TrieRouter(), getPath: routedPath });
  app.use('*', requestId(deps.requestIds));
  app.use('*', securityHeaders());
  app.use('*', accessLog(deps.logger));
  app.use('*', edgeGuard(deps.edgeSecret));
  app.use('*', bodyLimit({
    maxSize: MAX_REQUEST_BYTES,
    onError: () => { throw new PayloadTooLargeError(`The request body exceeds ${MAX_REQUEST_BYTES} bytes.`); },
  }));

  app.get('/healthz', (c) => c.json({ status: 'ok' }));
  app.route('/', faviconRoutes());
  for (const mount of groups) mount(app, deps);

  app.notFound((c) => problem(c, 404, 'not-found', 'Not found', 'There is nothing at this address.'));
  app.onError((error, c) => errorToResponse(error, c, deps.logger));
  return app;
}
