/**
 * createApp(deps): the whole HTTP surface as a Hono app. It imports no AWS SDK; entries build the
 * adapters and pass them in. `routes` selects which groups a deployable serves.
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
import { portalRoutes, type WebAssets } from './routes/portal.ts';
import { MAX_REQUEST_BYTES } from './schemas.ts';
import type { AppEnv } from './types.ts';

export interface AppDeps extends MessageRoutesDeps, PickupDeps {
  readonly web?: WebAssets;
  readonly requestIds?: () => string;
}

export interface AppOptions {
  readonly api?: boolean;
  readonly portal?: boolean;
}

export function createApp(deps: AppDeps, options: AppOptions = {}): Hono<AppEnv> {
  const { api = true, portal = true } = options;
  const app = new Hono<AppEnv>();
  app.use('*', requestId(deps.requestIds));
  app.use('*', securityHeaders());
  app.use('*', accessLog(deps.logger));
  app.use('*', bodyLimit({
    maxSize: MAX_REQUEST_BYTES,
    onError: () => { throw new PayloadTooLargeError(`The request body exceeds ${MAX_REQUEST_BYTES} bytes.`); },
  }));

  app.get('/healthz', (c) => c.json({ status: 'ok' }));
  if (api) app.route('/v1/messages', messageRoutes(deps));
  if (portal) {
    if (!deps.web) throw new Error('the portal needs the built web assets (run npm run build:web)');
    app.route('/', portalRoutes({ ...deps, web: deps.web }));
  }

  app.notFound((c) => problem(c, 404, 'not-found', 'Not found', 'There is nothing at this address.'));
  app.onError((error, c) => errorToResponse(error, c, deps.logger));
  return app;
}
