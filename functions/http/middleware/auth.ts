import type { MiddlewareHandler } from 'hono';
import { authenticate, bearerToken, type KeyScope, type TenantDirectory } from '../../core/tenants/index.ts';

/** Resolves the bearer key to a principal. The tenant comes from the key, never from the request. */
export function requireKey(directory: TenantDirectory, scope: KeyScope, clock: () => Date = () => new Date()): MiddlewareHandler {
  return async (c, next) => {
    c.set('principal', await authenticate(directory, bearerToken(c.req.header('Authorization')), scope, clock()));
    await next();
  };
}
