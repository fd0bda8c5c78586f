/**
 * The recipient side: the pickup portal with its brand and the admin console's page, and the
 * Message Center inbox — the route groups the portal entry serves (app.ts).
 */
import type { Hono } from 'hono';
import { brandRoutes } from './routes/brand.ts';
import { consoleRoutes } from './routes/console.ts';
import { inboxRoutes } from './routes/inbox.ts';
import { portalRoutes } from './routes/portal.ts';
import type { AppDeps } from './app.ts';
import type { AppEnv } from './types.ts';

export function portalGroup(app: Hono<AppEnv>, deps: AppDeps): void {
  const { portal } = deps;
  if (!portal) return;
  app.route('/', portalRoutes(portal));
  app.route('/', brandRoutes(portal));
  app.route('/', consoleRoutes(portal.web));
}

export function inboxGroup(app: Hono<AppEnv>, deps: AppDeps): void {
  if (deps.inbox) app.route('/', inboxRoutes(deps.inbox));
}
