/**
 * The API's own description, public and without a key: GET /v1/openapi.json (the OpenAPI 3.1
 * document) and GET /v1/docs, the reference rendered here from that document as static HTML
 * (reference-page.ts), with its stylesheet and script beside it at /v1/docs.css and /v1/docs.js.
 */
import { Hono } from 'hono';
import { methodNotAllowed } from '../problem.ts';
import type { AppEnv } from '../types.ts';

const CACHE = 'public, max-age=300';

/**
 * The document (built from every route group's schemas, with its examples) and the page that
 * renders it: imported on the first request for them, so that starting the API (and its first
 * send) builds none of them.
 */
const document = async () => (await import('../openapi.ts')).openApiDocument();
const reference = () => import('../reference-page.ts');

/** `origin`: the deployment's portal origin, shown in the page's examples. */
export function openApiRoutes(origin: string): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  let page: string | undefined;
  app.get('/openapi.json', async (c) => c.json(await document(), 200, { 'Cache-Control': CACHE }));
  app.get('/docs', async (c) => {
    page ??= (await reference()).renderReferencePage(await document(), origin);
    return c.html(page, 200, { 'Cache-Control': CACHE });
  });
  app.get('/docs.css', async (c) => c.body((await reference()).REFERENCE_CSS, 200, { 'Content-Type': 'text/css; charset=utf-8', 'Cache-Control': CACHE }));
  app.get('/docs.js', async (c) => c.body((await reference()).REFERENCE_SCRIPT, 200, { 'Content-Type': 'text/javascript; charset=utf-8', 'Cache-Control': CACHE }));
  for (const path of ['/openapi.json', '/docs', '/docs.css', '/docs.js']) app.all(path, (c) => methodNotAllowed(c, ['GET']));
  return app;
}
