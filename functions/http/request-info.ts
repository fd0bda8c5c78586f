import type { Context } from 'hono';
import { MalformedRequestError, UnsupportedMediaTypeError } from '../core/errors.ts';

/**
 * The caller's IP as seen by our own edge: API Gateway's requestContext in Lambda, the socket
 * locally. X-Forwarded-For is not trusted.
 */
export function sourceIpOf(c: Context): string | undefined {
  const env = c.env as { requestContext?: { http?: { sourceIp?: string } }; incoming?: { socket?: { remoteAddress?: string } } } | undefined;
  return env?.requestContext?.http?.sourceIp ?? env?.incoming?.socket?.remoteAddress ?? undefined;
}

export function userAgentOf(c: Context): string | undefined {
  return c.req.header('User-Agent')?.slice(0, 256);
}

/** Reads a JSON body, enforcing the media type. Returns the raw text too (for request hashing). */
export async function readJson(c: Context): Promise<{ value: unknown; raw: string }> {
  const type = c.req.header('Content-Type') ?? '';
  if (!/^application\/json\s*(;|$)/i.test(type)) {
    throw new UnsupportedMediaTypeError('Send the request body as JSON with "Content-Type: application/json".');
  }
  const raw = await c.req.text();
  try {
    return { value: JSON.parse(raw) as unknown, raw };
  } catch {
    throw new MalformedRequestError('The request body is not valid JSON.');
  }
}
