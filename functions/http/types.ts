import type { Principal } from '../core/tenants/index.ts';

/** Hono context variables set by our middleware. */
export type AppEnv = {
  Variables: {
    requestId: string;
    principal: Principal;
  };
};
