import type { Principal } from '../core/tenants/index.ts';

/** Hono context variables set by our middleware. */
export type AppEnv = {
  Variables: {
    requestId: string;
    principal: Principal;
    /** The request came through CloudFront (edgeGuard checked its secret), so its viewer headers are CloudFront's. */
    viaEdge: boolean;
  };
};
