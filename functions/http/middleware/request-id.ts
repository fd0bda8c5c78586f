import type { MiddlewareHandler } from 'hono';

/** Every response gets a fresh request id (never taken from the client, so logs cannot be spoofed). */
export function requestId(generate: () => string = () => crypto.randomUUID()): MiddlewareHandler {
  return async (c, next) => {
    const id = generate();
    c.set('requestId', id);
    c.header('X-Request-Id', id);
    await next();
  };
}
