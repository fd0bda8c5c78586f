import type { Context } from 'hono';
import { MalformedRequestError, UnsupportedMediaTypeError } from '../core/shared/index.ts';
import { assertJsonWithinLimits } from './json-limits.ts';

/** Set by our CloudFront function to the viewer's IP address, over any value the viewer sent. */
export const VIEWER_IP_HEADER = 'X-Sealpost-Viewer-Ip';

/**
 * The caller's IP: the viewer's address CloudFront reports, when the request provably came through
 * CloudFront (edgeGuard checked its secret: the API cannot be reached directly); otherwise what
 * our own side of the connection saw — API Gateway's requestContext in Lambda, the socket locally.
 * X-Forwarded-For is never trusted.
 */
export function sourceIpOf(c: Context): string | undefined {
  const viewer = c.get('viaEdge') === true ? c.req.header(VIEWER_IP_HEADER) : undefined;
  if (viewer !== undefined && /^[0-9A-Fa-f.:]{2,45}$/.test(viewer)) return viewer;
  const env = c.env as { requestContext?: { http?: { sourceIp?: string } }; incoming?: { socket?: { remoteAddress?: string } } } | undefined;
  return env?.requestContext?.http?.sourceIp ?? env?.incoming?.socket?.remoteAddress ?? undefined;
}

export function userAgentOf(c: Context): string | undefined {
  return c.req.header('User-Agent')?.slice(0, 256);
}

/**
 * Reads a JSON body, enforcing the media type and the shape limits (json-limits.ts) before parsing.
 * Returns the raw text too (for request hashing).
 */
export async function readJson(c: Context, accepted: readonly string[] = ['application/json']): Promise<{ value: unknown; raw: string }> {
  const type = (c.req.header('Content-Type') ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  if (!accepted.includes(type)) {
    throw new UnsupportedMediaTypeError(`Send the request body as JSON with "Content-Type: ${accepted.join('" or "')}".`);
  }
  const raw = await c.req.text();
  assertJsonWithinLimits(raw);
  try {
    return { value: JSON.parse(raw) as unknown, raw };
  } catch {
    throw new MalformedRequestError('The request body is not valid JSON.');
  }
}

/**
 * Set by our CloudFront function to the viewer's Host header: CloudFront must send API Gateway its
 * own Host, so the branded hostname a recipient used would otherwise be lost. It only picks the
 * brand of a page, so a caller who forges it (by calling the API origin directly) changes nothing
 * but what they themselves see.
 */
export const VIEWER_HOST_HEADER = 'X-Sealpost-Viewer-Host';

/** The hostname the viewer asked for: lower case, without port. */
export function viewerHostname(c: Context): string {
  const raw = c.req.header(VIEWER_HOST_HEADER) ?? new URL(c.req.url).host;
  try {
    return new URL(`https://${raw}`).hostname;
  } catch {
    return '';
  }
}
