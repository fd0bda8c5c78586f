/**
 * The admin console page (/admin). A static document: it holds no data and no key; the script
 * asks for the admin key and talks to /v1/admin/* with it. Its assets come from /assets/* (the
 * portal routes), under the same strict CSP as every response.
 */
import { Hono } from 'hono';
import type { WebAssets } from '../../core/shared/index.ts';
import { methodNotAllowed, problem } from '../problem.ts';
import type { AppEnv } from '../types.ts';

export function consoleRoutes(web: WebAssets): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  for (const path of ['/admin', '/admin/']) {
    app.get(path, (c) => {
      if (web.adminPage === undefined) return problem(c, 404, 'not-found', 'Not found', 'The admin console is not part of this deployment.');
      // A console that signed out must not come back from the cache with a previous session's page state.
      return c.html(web.adminPage, 200, { 'Cache-Control': 'no-store' });
    });
    app.all(path, (c) => methodNotAllowed(c, ['GET']));
  }

  return app;
}
