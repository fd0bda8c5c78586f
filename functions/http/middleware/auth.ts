import type { MiddlewareHandler } from 'hono';
import { authenticate, bearerToken, type KeyScope, type TenantDirectory } from '../../core/tenants/index.ts';

/**
 * Resolves the bearer key to a principal. The tenant comes from the key, never from the request.
 * The key's last use is recorded while the request is served, and awaited before the answer goes
 * (a Lambda instance is frozen once it has answered: nothing may still be running then).
 */
export function requireKey(directory: TenantDirectory, scope: KeyScope, clock: () => Date = () => new Date()): MiddlewareHandler {
  return async (c, next) => {
    let recording: Promise<void> | undefined;
    c.set('principal', await authenticate(directory, bearerToken(c.req.header('Authorization')), scope, clock(), (work) => { recording = work; }));
    try {
      await next();
    } finally {
      await recording;
    }
  };
}
