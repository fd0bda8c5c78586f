/** GET /v1/events: the tenant's audit trail, oldest first, a page at a time. */
import { Hono } from 'hono';
import { listTenantEvents, type EventLog } from '../../core/audit/index.ts';
import { loadOnce, type Clock } from '../../core/shared/index.ts';
import { methodNotAllowed } from '../problem.ts';
import type { AppEnv } from '../types.ts';

/** The request schemas (and zod) are loaded by the first request that needs them. */
const schemas = loadOnce('Request validation', () => import('../admin-schemas.ts'));

export function eventRoutes(deps: { events: EventLog; clock: Clock }): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.get('/', async (c) => {
    // ?type=a&type=b means a,b: query() alone keeps the first and would drop the rest unchecked.
    const query = (await schemas()).parseEventQuery({ ...c.req.query(), type: c.req.queries('type')?.join(',') });
    return c.json(await listTenantEvents(deps, c.get('principal').tenant.id, query));
  });
  app.all('/', (c) => methodNotAllowed(c, ['GET']));
  return app;
}
