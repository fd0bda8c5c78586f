/**
 * Typed client of the inbox API (functions/http/routes/inbox.ts) — the inbox page's only way to
 * talk to the server. The session is an HttpOnly cookie the page never sees; requests are JSON,
 * same-origin, uncached and without a referrer.
 *
 *   POST /inbox/api/{tenant}/sign-in  {email}        → 202 (always the same answer)
 *   POST /inbox/api/{tenant}/verify   {email, code}  → 204 (cookie set) | 401 wrong | 429 locked (Retry-After)
 *   GET  /inbox/api/{tenant}/messages                → 200 {messages} | 401 signed out
 *   POST /inbox/api/{tenant}/messages/{id}/open      → 200 {secret, grant?} | 401 | 404
 *   POST /inbox/api/{tenant}/sign-out                → 204
 */

// The server's own type (type-only import: nothing of the server reaches the bundle).
import type { InboxItem as InboxMessage } from '../../../functions/core/message-center/index.ts';

export type { InboxMessage };

/** `status` 0: no answer at all (offline, DNS, aborted). */
export type Failure = { readonly kind: 'error'; readonly status: number; readonly requestId?: string };
export type Fetch = (input: string, init: RequestInit) => Promise<Response>;

const TENANT_ID = /^[A-Za-z0-9_-]{1,64}$/;
const MESSAGE_ID = /^[A-Za-z0-9_-]{22}$/;
const SECRET = /^[A-Za-z0-9_-]{43}$/;
/** A grant goes into the pickup link's fragment after a colon: keep it to URL-safe characters. */
const GRANT = /^[A-Za-z0-9_-]{16,256}$/;

/**
 * The tenant whose inbox this page is: the server names it in a meta tag when it branded the page
 * (by hostname or path); otherwise the path `/inbox/{tenantId}` does.
 */
export function tenantIdOf(doc: Document, pathname: string): string | null {
  const meta = doc.querySelector<HTMLMetaElement>('meta[name="sealpost-tenant"]')?.content;
  if (meta !== undefined && TENANT_ID.test(meta)) return meta;
  const segment = /^\/inbox\/([^/]+)\/?$/.exec(pathname)?.[1];
  if (segment === undefined) return null;
  try {
    const id = decodeURIComponent(segment);
    return TENANT_ID.test(id) ? id : null;
  } catch {
    return null;
  }
}

/** Where "Open" goes: the pickup page, with the secret (and grant) in the fragment only. */
export function pickupUrl(id: string, secret: string, grant?: string): string {
  return `/m/${encodeURIComponent(id)}#${secret}${grant === undefined ? '' : `:${grant}`}`;
}

async function call(fetchImpl: Fetch, path: string, init: { method: 'GET' | 'POST'; body?: unknown }): Promise<Response | Failure> {
  try {
    return await fetchImpl(path, {
      method: init.method,
      headers: init.method === 'POST'
        ? { 'Content-Type': 'application/json', Accept: 'application/json, application/problem+json' }
        : { Accept: 'application/json, application/problem+json' },
      ...(init.method === 'POST' ? { body: JSON.stringify(init.body ?? {}) } : {}),
      credentials: 'same-origin',
      cache: 'no-store',
      referrerPolicy: 'no-referrer',
    });
  } catch {
    return { kind: 'error', status: 0 };
  }
}

async function failure(response: Response): Promise<Failure> {
  let requestId: string | undefined;
  if (response.headers.get('Content-Type')?.startsWith('application/problem+json')) {
    try {
      const body: unknown = await response.json();
      const candidate = typeof body === 'object' && body !== null && 'requestId' in body ? body.requestId : undefined;
      if (typeof candidate === 'string' && /^[\w.:-]{1,100}$/.test(candidate)) requestId = candidate;
    } catch {
      // No usable body: the status says enough.
    }
  }
  return requestId === undefined ? { kind: 'error', status: response.status } : { kind: 'error', status: response.status, requestId };
}

const base = (tenantId: string) => `/inbox/api/${encodeURIComponent(tenantId)}`;

export async function requestCode(tenantId: string, email: string, fetchImpl: Fetch = fetch): Promise<{ kind: 'sent' } | Failure> {
  const response = await call(fetchImpl, `${base(tenantId)}/sign-in`, { method: 'POST', body: { email } });
  if ('kind' in response) return response;
  return response.status === 202 ? { kind: 'sent' } : failure(response);
}

/** `retryAfter`: the seconds until signing in works again, from the answer's Retry-After. */
export async function verifyCode(
  tenantId: string, email: string, code: string, fetchImpl: Fetch = fetch,
): Promise<{ kind: 'signed-in' } | { kind: 'wrong' } | { kind: 'locked'; retryAfter?: number } | Failure> {
  const response = await call(fetchImpl, `${base(tenantId)}/verify`, { method: 'POST', body: { email, code } });
  if ('kind' in response) return response;
  if (response.status === 204) return { kind: 'signed-in' };
  if (response.status === 401 || response.status === 422) return { kind: 'wrong' };
  if (response.status === 429) {
    const seconds = Number(response.headers.get('Retry-After') ?? '');
    return Number.isInteger(seconds) && seconds > 0 && seconds <= 86_400 ? { kind: 'locked', retryAfter: seconds } : { kind: 'locked' };
  }
  return failure(response);
}

function isMessage(value: unknown): value is InboxMessage {
  if (typeof value !== 'object' || value === null) return false;
  const m = value as Record<string, unknown>;
  return typeof m.id === 'string' && MESSAGE_ID.test(m.id) && typeof m.sender === 'string' && typeof m.createdAt === 'string'
    && typeof m.expiresAt === 'string' && typeof m.read === 'boolean' && typeof m.replied === 'boolean';
}

export async function listMessages(tenantId: string, fetchImpl: Fetch = fetch): Promise<{ kind: 'ok'; messages: InboxMessage[] } | { kind: 'signed-out' } | Failure> {
  const response = await call(fetchImpl, `${base(tenantId)}/messages`, { method: 'GET' });
  if ('kind' in response) return response;
  if (response.status === 401) return { kind: 'signed-out' };
  if (response.status !== 200) return failure(response);
  try {
    const body = (await response.json()) as { messages?: unknown };
    if (!Array.isArray(body.messages)) return { kind: 'error', status: 200 };
    return { kind: 'ok', messages: body.messages.filter(isMessage) };
  } catch {
    return { kind: 'error', status: 200 };
  }
}

export async function openInboxMessage(tenantId: string, id: string, fetchImpl: Fetch = fetch): Promise<{ kind: 'ok'; secret: string; grant?: string } | { kind: 'signed-out' } | { kind: 'unavailable' } | Failure> {
  const response = await call(fetchImpl, `${base(tenantId)}/messages/${encodeURIComponent(id)}/open`, { method: 'POST', body: {} });
  if ('kind' in response) return response;
  if (response.status === 401) return { kind: 'signed-out' };
  if (response.status === 404) return { kind: 'unavailable' };
  if (response.status !== 200) return failure(response);
  try {
    const body = (await response.json()) as { secret?: unknown; grant?: unknown };
    if (typeof body.secret !== 'string' || !SECRET.test(body.secret)) return { kind: 'error', status: 200 };
    if (body.grant !== undefined && (typeof body.grant !== 'string' || !GRANT.test(body.grant))) return { kind: 'error', status: 200 };
    return body.grant === undefined ? { kind: 'ok', secret: body.secret } : { kind: 'ok', secret: body.secret, grant: body.grant };
  } catch {
    return { kind: 'error', status: 200 };
  }
}

export async function signOutOfInbox(tenantId: string, fetchImpl: Fetch = fetch): Promise<boolean> {
  const response = await call(fetchImpl, `${base(tenantId)}/sign-out`, { method: 'POST' });
  return !('kind' in response) && response.status === 204;
}
