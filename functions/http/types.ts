import type { Principal } from '../core/model.ts';

/** Hono context variables set by our middleware. */
export type AppEnv = {
  Variables: {
    requestId: string;
    principal: Principal;
  };
};
