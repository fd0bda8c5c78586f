/**
 * The webhook signature scheme (docs/webhooks.md):
 *
 *   Sealpost-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>
 *
 * The key is the endpoint's secret exactly as shown at registration ("whsec_…", as UTF-8 bytes), so
 * a receiver can paste it into any HMAC library. The timestamp is signed with the body, so a
 * captured delivery cannot be replayed later than the receiver's tolerance. WebCrypto only, like
 * the rest of core.
 */
import { constantTimeEqual } from '../shared/index.ts';

export const SIGNATURE_HEADER = 'Sealpost-Signature';
/** How far a receiver should accept a timestamp from its own clock, by default. */
export const DEFAULT_TOLERANCE_SECONDS = 300;

const encoder = new TextEncoder();

async function hmacHex(secret: string, message: string): Promise<string> {
  const key = await crypto.subtle.importKey('raw', encoder.encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  const mac = new Uint8Array(await crypto.subtle.sign('HMAC', key, encoder.encode(message)));
  return Array.from(mac, (b) => b.toString(16).padStart(2, '0')).join('');
}

/** The value of the Sealpost-Signature header for `body` sent at `timestamp` (unix seconds). */
export async function signWebhook(secret: string, timestamp: number, body: string): Promise<string> {
  return `t=${timestamp},v1=${await hmacHex(secret, `${timestamp}.${body}`)}`;
}

/**
 * True when `header` carries a v1 signature of `body` by `secret` whose timestamp is within
 * `toleranceSeconds` of `nowSeconds`. Compares in constant time; accepts several v1 values (so a
 * future secret rotation can sign with two secrets at once) and ignores unknown schemes.
 */
export async function verifyWebhookSignature(
  secret: string, header: string | null | undefined, body: string, nowSeconds: number, toleranceSeconds = DEFAULT_TOLERANCE_SECONDS,
): Promise<boolean> {
  if (!header) return false;
  let timestamp: string | undefined;
  const candidates: string[] = [];
  for (const part of header.split(',')) {
    const [name, value] = part.trim().split('=', 2);
    if (name === 't' && value !== undefined) timestamp = value;
    else if (name === 'v1' && value !== undefined) candidates.push(value);
  }
  if (timestamp === undefined || !/^\d{1,12}$/.test(timestamp) || candidates.length === 0) return false;
  if (Math.abs(nowSeconds - Number(timestamp)) > toleranceSeconds) return false;
  const expected = await hmacHex(secret, `${timestamp}.${body}`);
  let match = false;
  // No early exit: every candidate is compared, so timing says nothing about which one matched.
  for (const candidate of candidates) match = constantTimeEqual(candidate.toLowerCase(), expected) || match;
  return match;
}
