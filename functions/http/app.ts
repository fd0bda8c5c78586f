/**
 * createApp(deps): the HTTP surface as a Hono app. It imports no AWS SDK; entries build the
 * adapters and pass them in. Each route group is mounted only when its dependencies are given, so a
 * deployable carries (and can serve) only what it needs.
 */
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { PayloadTooLargeError } from '../core/errors.ts';
import type { PickupDeps } from '../core/pickup.ts';
import { accessLog } from './middleware/access-log.ts';
import { requestId } from './middleware/request-id.ts';
import { securityHeaders } from './middleware/security-headers.ts';
import { errorToResponse, problem } from './problem.ts';
import { messageRoutes, type MessageRoutesDeps } from './routes/messages.ts';
import type { Logger, WebAssets } from '../core/ports.ts';
import { portalRoutes } from './routes/portal.ts';
import { MAX_REQUEST_BYTES } from './schemas.ts';
import type { AppEnv } from './types.ts';

export interface AppDeps {
  readonly logger: Logger;
  readonly requestIds?: () => string;
  /** The sender API (/v1/messages). */
  readonly api?: MessageRoutesDeps;
  /** The recipient portal (/m/:id, /m/:id/open, /assets/*). */
  readonly portal?: PickupDeps & { readonly web: WebAssets };
}

export function createApp(deps: AppDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.use('*', requestId(deps.requestIds));
  app.use('*', securityHeaders());
  app.use('*', accessLog(deps.logger));
  app.use('*', bodyLimit({
    maxSize: MAX_REQUEST_BYTES,
    onError: () => { throw new PayloadTooLargeError(`The request body exceeds ${MAX_REQUEST_BYTES} bytes.`); },
  }));

  app.get('/healthz', (c) => c.json({ status: 'ok' }));
  if (deps.api) app.route('/v1/messages', messageRoutes(deps.api));
  if (deps.portal) app.route('/', portalRoutes(deps.portal));

  app.notFound((c) => problem(c, 404, 'not-found', 'Not found', 'There is nothing at this address.'));
  app.onError((error, c) => errorToResponse(error, c, deps.logger));
  return app;
}
