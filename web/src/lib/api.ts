/**
 * Typed client for the portal API — the page's only way to talk to the server (docs/protocol.md §5).
 *
 * `POST /m/{id}/open` with `{"link", "token", "code"?, "grant"?, "part"?}` returns part n of the
 * binary OpenPGP message (200) with `Sealpost-Parts: <count>`, and `Sealpost-Grant` after a right
 * code. A message that needs more than the link answers with a problem+json the page acts on:
 * 403 verification-required (a code was emailed), code-wrong, passcode-wrong, 429 locked or
 * code-rate-limited. Every "not available" case is one 404, which the server deliberately does not
 * tell apart; anything else is a transient error. Large messages come in parts because one Lambda
 * response stops at 6 MB; part 0 is the one the server counts as the open, and later parts go
 * with the grant, never a code. A recovery link's open (Message Center) adds
 * `Sealpost-Wrapped-Secret` to part 0: a key only the fragment unwraps — the message's custody key
 * (`Sealpost-Recovered-Key: custody`), the password itself, or for a message sent before custody
 * keys a recipient's secret (`recipient`).
 * `POST /m/{id}/reply` takes the same credentials plus the reply and answers 201 `{id, expiresAt}`.
 */
import { concatBytes } from '../../../functions/core/shared/index.ts';

export interface Credentials {
  /** The link token (from the secret alone). */
  readonly link?: string;
  /** The access token (from the message key). */
  readonly token: string;
  readonly code?: string;
  readonly grant?: string;
}

/** An open's credentials, and the tenant the page was served for (PageFacts.tenant), which the open reads with the message. */
export interface OpenCredentials extends Credentials {
  readonly tenant?: string;
}

/** Every answer other than the ciphertext. */
export type Refusal =
  | { readonly kind: 'unavailable' }
  | { readonly kind: 'verification-required'; readonly sentTo: string }
  | { readonly kind: 'code-wrong' | 'passcode-wrong'; readonly attemptsLeft: number }
  | { readonly kind: 'locked' | 'code-rate-limited'; readonly retryAfter: number }
  /** `status` is 0 when the request never got an answer (offline, DNS, aborted). */
  | { readonly kind: 'error'; readonly status: number; readonly requestId?: string };

/** One part of a sealed upload's ciphertext: a same-origin URL (a presigned GET) and its exact size. */
export interface PartLink {
  readonly url: string;
  readonly bytes: number;
}

export type OpenResult = (
  | { readonly kind: 'ok'; readonly ciphertext: Uint8Array }
  /** A sealed upload: where to download its ciphertext, in order. The view is already counted. */
  | { readonly kind: 'parts'; readonly parts: readonly PartLink[] }
) & {
  readonly grant?: string;
  /** Present when a recovery link opened the message: the key it unlocks, wrapped under the fragment's key. */
  readonly wrappedSecret?: string;
  /** What `wrappedSecret` holds: the custody key (the OpenPGP password itself) or a recipient's secret. */
  readonly unlocks?: 'custody' | 'recipient';
} | Refusal;

/** What a reply sends besides the credentials (web/src/reply.ts builds it). */
export interface ReplyContent {
  readonly subject: string;
  readonly text: string;
  readonly attachments: readonly { readonly filename: string; readonly contentType: string; readonly content: string }[];
}

export type ReplyResult =
  | { readonly kind: 'sent'; readonly id: string; readonly grant?: string }
  /** Too many replies: the server's own sentence says when the recipient may try again. */
  | { readonly kind: 'reply-rate-limited'; readonly detail: string }
  | Refusal;

export type Fetch = (input: string, init: RequestInit) => Promise<Response>;

/** The message id of a pickup page path (`/m/{id}`), or null when the path has another shape. */
export function messageIdFromPath(pathname: string): string | null {
  const segment = /^\/m\/([^/]+)\/?$/.exec(pathname)?.[1];
  if (segment === undefined) return null;
  try {
    return decodeURIComponent(segment);
  } catch {
    return null;
  }
}

/**
 * Asks the server for the ciphertext of message `id`, proving possession of the link with
 * `credentials`: the ciphertext itself (`ok`), or for a sealed upload where to download it (`parts`).
 */
export async function openMessage(id: string, credentials: OpenCredentials, fetchImpl: Fetch = fetch): Promise<OpenResult> {
  const first = await fetchPart(id, credentials, 0, fetchImpl);
  if (first.kind !== 'part') return first;
  const grant = {
    ...(first.grant === undefined ? {} : { grant: first.grant }),
    ...(first.wrappedSecret === undefined ? {} : { wrappedSecret: first.wrappedSecret, unlocks: first.unlocks ?? 'recipient' }),
  };
  // A sealed upload: part 0 was the whole open (its Sealpost-Parts counts the downloads, not more opens).
  if (first.links) return { kind: 'parts', parts: first.links, ...grant };
  // Later parts need the grant a code earned (never the code again: it is used up).
  const { code: _used, ...rest } = credentials;
  const later = first.grant === undefined ? rest : { ...rest, grant: first.grant };
  const pieces: Uint8Array[] = [first.bytes];
  for (let part = 1; part < first.parts; part++) {
    const next = await fetchPart(id, later, part, fetchImpl);
    if (next.kind !== 'part') return next;
    pieces.push(next.bytes);
  }
  // Joined in order, in memory (not through a Blob: in Chromium the browser process holds one).
  const ciphertext = pieces.length === 1 ? first.bytes : concatBytes(pieces);
  return { kind: 'ok', ciphertext, ...grant };
}

const PART_PATH = /^\/blobs\/[A-Za-z0-9_-]{1,64}\/\d{1,6}(?:\?[!-~]*)?$/;

/**
 * The download list of a parts answer, or undefined when `body` is not one: 1 to 1000 parts, each a
 * path under /blobs/ on this origin — printable ASCII only, so no tab or line break the URL parser
 * would drop can turn it into another origin's `//host` (the page's CSP allows no other either) —
 * and a whole number of bytes.
 */
export function partLinksOf(body: unknown): PartLink[] | undefined {
  const parts = (body as { parts?: unknown } | null)?.parts;
  return Array.isArray(parts) && parts.length > 0 && parts.length <= MAX_PARTS
    && parts.every((p: Partial<PartLink> | null) => typeof p?.url === 'string' && PART_PATH.test(p.url) && Number.isSafeInteger(p.bytes) && (p.bytes as number) > 0)
    ? parts : undefined;
}

/** Asks for a new code by email (`POST /m/{id}/code`); the answer is never the ciphertext. */
export async function requestCode(id: string, credentials: Pick<Credentials, 'link' | 'token'>, fetchImpl: Fetch = fetch): Promise<Refusal> {
  const answer = await post(`/m/${encodeURIComponent(id)}/code`, credentials, fetchImpl);
  return answer instanceof Response ? refusal(answer) : answer;
}

/**
 * Sends a secure reply (`POST /m/{id}/reply`, 201 `{id, expiresAt}`) with the credentials the page
 * opened the message with; the refusals are those of an open. A right code sent with it earns a grant.
 */
export async function sendReply(id: string, credentials: Credentials, content: ReplyContent, fetchImpl: Fetch = fetch): Promise<ReplyResult> {
  const response = await post(`/m/${encodeURIComponent(id)}/reply`, { ...credentials, ...content }, fetchImpl);
  if (!(response instanceof Response)) return response;
  if (response.status === 429) {
    const body = await problemBody(response.clone());
    if (body.type === 'urn:sealpost:problem:reply-rate-limited' && typeof body.detail === 'string') return { kind: 'reply-rate-limited', detail: body.detail.slice(0, 300) };
  }
  if (response.status !== 201) return refusal(response);
  const body = (await response.json().catch(() => ({}))) as { id?: unknown };
  const grant = response.headers.get('Sealpost-Grant');
  const sent = { kind: 'sent' as const, id: typeof body.id === 'string' ? body.id : '' };
  return grant !== null && BASE64URL_43.test(grant) ? { ...sent, grant } : sent;
}

type PartResult = {
  readonly kind: 'part'; readonly bytes: Uint8Array; readonly parts: number; readonly grant?: string; readonly wrappedSecret?: string;
  readonly unlocks?: 'custody' | 'recipient';
  /** Part 0 of a sealed upload: its downloads (and no bytes). */
  readonly links?: PartLink[];
} | Refusal;

const MAX_PARTS = 1000;
const BASE64URL_43 = /^[A-Za-z0-9_-]{43}$/;
/** iv (12) + secret (32) + tag (16) = 60 bytes = 80 base64url characters. */
const WRAPPED_SECRET = /^[A-Za-z0-9_-]{80}$/;

async function post(path: string, body: object, fetchImpl: Fetch): Promise<Response | Refusal> {
  try {
    return await fetchImpl(path, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: 'application/octet-stream, application/json, application/problem+json' },
      body: JSON.stringify(body),
      cache: 'no-store',
      credentials: 'omit',
      referrerPolicy: 'no-referrer',
    });
  } catch {
    return { kind: 'error', status: 0 };
  }
}

async function fetchPart(id: string, credentials: OpenCredentials, part: number, fetchImpl: Fetch): Promise<PartResult> {
  const response = await post(`/m/${encodeURIComponent(id)}/open`, part === 0 ? credentials : { ...credentials, part }, fetchImpl);
  if (!(response instanceof Response)) return response;
  if (response.status !== 200) return refusal(response);
  const declared = Number(response.headers.get('Sealpost-Parts') ?? '1');
  const parts = Number.isInteger(declared) && declared >= 1 && declared <= MAX_PARTS ? declared : 1;
  const grant = response.headers.get('Sealpost-Grant');
  // Only part 0 is the recovery open; a later part's header would add nothing.
  const wrapped = part === 0 ? response.headers.get('Sealpost-Wrapped-Secret') : null;
  try {
    // Only part 0 of a sealed upload answers JSON; a table message's parts are always bytes.
    const json = part === 0 && /^application\/json\b/.test(response.headers.get('Content-Type') ?? '');
    const links = json ? partLinksOf(await response.json()) : undefined;
    // A 200 that is neither: nothing the page can open (and the view is spent), so a plain error.
    if (json && !links) return { kind: 'error', status: response.status };
    return {
      kind: 'part', parts,
      ...(links ? { links, bytes: new Uint8Array() } : { bytes: new Uint8Array(await response.arrayBuffer()) }),
      ...(grant !== null && BASE64URL_43.test(grant) ? { grant } : {}),
      ...(wrapped !== null && WRAPPED_SECRET.test(wrapped)
        ? { wrappedSecret: wrapped, unlocks: response.headers.get('Sealpost-Recovered-Key') === 'custody' ? 'custody' as const : 'recipient' as const }
        : {}),
    };
  } catch {
    return { kind: 'error', status: 0 };
  }
}

/** What a non-200 answer means for the page. Only the documented problem kinds are trusted. */
async function refusal(response: Response): Promise<Refusal> {
  if (response.status === 404) return { kind: 'unavailable' };
  const body = await problemBody(response);
  const kind = typeof body.type === 'string' ? body.type.replace('urn:sealpost:problem:', '') : '';
  const count = (value: unknown) => (typeof value === 'number' && Number.isInteger(value) && value >= 0 ? value : undefined);
  const attemptsLeft = count(body.attemptsLeft);
  const retryAfter = count(body.retryAfter);
  if (kind === 'verification-required' && typeof body.sentTo === 'string') return { kind, sentTo: body.sentTo.slice(0, 254) };
  if ((kind === 'code-wrong' || kind === 'passcode-wrong') && attemptsLeft !== undefined) return { kind, attemptsLeft };
  if ((kind === 'locked' || kind === 'code-rate-limited') && retryAfter !== undefined) return { kind, retryAfter };
  const requestId = typeof body.requestId === 'string' && /^[\w.:-]{1,100}$/.test(body.requestId) ? body.requestId : undefined;
  return requestId === undefined ? { kind: 'error', status: response.status } : { kind: 'error', status: response.status, requestId };
}

/** The members of a problem+json body (empty for anything else). */
async function problemBody(response: Response): Promise<Record<string, unknown>> {
  if (!response.headers.get('Content-Type')?.startsWith('application/problem+json')) return {};
  try {
    const body: unknown = await response.json();
    return typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}
