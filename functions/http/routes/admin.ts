/** Admin API (admin keys only): /v1/admin/settings and /v1/admin/keys. Webhooks live in admin-webhooks.ts. */
import { Hono } from 'hono';
import { createKey, listKeys, revokeKey, getSettings, updateSettings, type KeyAdminDeps, type SettingsDeps } from '../../core/tenants/index.ts';
import { ValidationError, loadOnce } from '../../core/shared/index.ts';
import { methodNotAllowed } from '../problem.ts';
import { readJson, sourceIpOf, userAgentOf } from '../request-info.ts';
import type { AppEnv } from '../types.ts';

export type AdminRoutesDeps = KeyAdminDeps & SettingsDeps;

/** The request schemas (and zod) are loaded by the first request that needs them. */
const schemas = loadOnce('Request validation', () => import('../admin-schemas.ts'));

/** "If-Match: "7"" (or 7) → 7; the settings revision the client read. */
function expectedRevision(header: string | undefined): number | undefined {
  if (header === undefined) return undefined;
  const match = /^\s*(?:W\/)?"?(\d{1,9})"?\s*$/.exec(header);
  if (!match) throw new ValidationError('If-Match must be the settings revision (the ETag of GET /v1/admin/settings), e.g. "7".', [{ field: 'If-Match', message: 'invalid' }]);
  return Number(match[1]);
}

export function adminRoutes(deps: AdminRoutesDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.get('/settings', async (c) => {
    const settings = await getSettings(deps, c.get('principal'));
    c.header('ETag', `"${settings.revision}"`);
    return c.json(settings);
  });

  app.patch('/settings', async (c) => {
    const revision = expectedRevision(c.req.header('If-Match'));
    const { value } = await readJson(c, ['application/json', 'application/merge-patch+json']);
    const patch = (await schemas()).parseSettingsPatch(value);
    const result = await updateSettings(deps, c.get('principal'), patch, {
      ...(revision !== undefined ? { expectedRevision: revision } : {}), sourceIp: sourceIpOf(c), userAgent: userAgentOf(c),
    });
    c.header('ETag', `"${result.revision}"`);
    return c.json(result);
  });

  app.post('/keys', async (c) => {
    const { value } = await readJson(c);
    const { scope } = (await schemas()).parseCreateKey(value);
    const created = await createKey(deps, c.get('principal'), scope, { sourceIp: sourceIpOf(c), userAgent: userAgentOf(c) });
    c.header('Location', `/v1/admin/keys/${created.id}`);
    return c.json(created, 201);
  });

  app.get('/keys', async (c) => c.json({ keys: await listKeys(deps, c.get('principal')) }));

  app.delete('/keys/:id', async (c) => {
    await revokeKey(deps, c.get('principal'), c.req.param('id'), { sourceIp: sourceIpOf(c), userAgent: userAgentOf(c) });
    return c.body(null, 204);
  });

  app.all('/settings', (c) => methodNotAllowed(c, ['GET', 'PATCH']));
  app.all('/keys', (c) => methodNotAllowed(c, ['GET', 'POST']));
  app.all('/keys/:id', (c) => methodNotAllowed(c, ['DELETE']));
  return app;
}
