/**
 * The API's own description, public and without a key: GET /v1/openapi.json (the OpenAPI 3.1
 * document) and GET /v1/docs, the reference rendered here from that document as static HTML
 * (reference-page.ts), with its stylesheet and script beside it at /v1/docs.css and /v1/docs.js.
 */
import { Hono } from 'hono';
import { openApiDocument } from '../openapi.ts';
import { methodNotAllowed } from '../problem.ts';
import { REFERENCE_CSS, REFERENCE_SCRIPT, renderReferencePage } from '../reference-page.ts';
import type { AppEnv } from '../types.ts';

const CACHE = 'public, max-age=300';

/** `origin`: the deployment's portal origin, shown in the page's examples. */
export function openApiRoutes(origin: string): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  let page: string | undefined;
  app.get('/openapi.json', (c) => c.json(openApiDocument(), 200, { 'Cache-Control': CACHE }));
  app.get('/docs', (c) => {
    page ??= renderReferencePage(openApiDocument(), origin);
    return c.html(page, 200, { 'Cache-Control': CACHE });
  });
  app.get('/docs.css', (c) => c.body(REFERENCE_CSS, 200, { 'Content-Type': 'text/css; charset=utf-8', 'Cache-Control': CACHE }));
  app.get('/docs.js', (c) => c.body(REFERENCE_SCRIPT, 200, { 'Content-Type': 'text/javascript; charset=utf-8', 'Cache-Control': CACHE }));
  for (const path of ['/openapi.json', '/docs', '/docs.css', '/docs.js']) app.all(path, (c) => methodNotAllowed(c, ['GET']));
  return app;
}
