/**
 * Typed client for the portal API — the page's only way to talk to the server.
 *
 * Contract: `POST /m/{id}/open` with `{"token": …, "part": n}` returns part n of the binary OpenPGP
 * message (200) with `Sealpost-Parts: <count>`, or a problem+json 404 for every "not available" case
 * (unknown, expired, revoked, wrong token), which the server deliberately does not tell apart.
 * Anything else is a transient error. Large messages come in parts because one Lambda response
 * stops at 6 MB; part 0 is the one the server counts as the open.
 */

export type OpenResult =
  | { readonly kind: 'ok'; readonly ciphertext: Uint8Array }
  | { readonly kind: 'unavailable' }
  /** `status` is 0 when the request never got an answer (offline, DNS, aborted). */
  | { readonly kind: 'error'; readonly status: number; readonly requestId?: string };

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

/** Asks the server for the ciphertext of message `id`, proving possession of the link with `token`. */
export async function openMessage(id: string, token: string, fetchImpl: Fetch = fetch): Promise<OpenResult> {
  const first = await fetchPart(id, token, 0, fetchImpl);
  if (first.kind !== 'part') return first;
  const pieces: Uint8Array[] = [first.bytes];
  for (let part = 1; part < first.parts; part++) {
    const next = await fetchPart(id, token, part, fetchImpl);
    if (next.kind !== 'part') return next;
    pieces.push(next.bytes);
  }
  if (pieces.length === 1) return { kind: 'ok', ciphertext: first.bytes };
  const ciphertext = new Uint8Array(pieces.reduce((sum, p) => sum + p.length, 0));
  let offset = 0;
  for (const piece of pieces) {
    ciphertext.set(piece, offset);
    offset += piece.length;
  }
  return { kind: 'ok', ciphertext };
}

type PartResult = { readonly kind: 'part'; readonly bytes: Uint8Array; readonly parts: number } | Exclude<OpenResult, { kind: 'ok' }>;

const MAX_PARTS = 1000;

async function fetchPart(id: string, token: string, part: number, fetchImpl: Fetch): Promise<PartResult> {
  let response: Response;
  try {
    response = await fetchImpl(`/m/${encodeURIComponent(id)}/open`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: 'application/octet-stream, application/problem+json' },
      body: JSON.stringify(part === 0 ? { token } : { token, part }),
      cache: 'no-store',
      credentials: 'omit',
      referrerPolicy: 'no-referrer',
    });
  } catch {
    return { kind: 'error', status: 0 };
  }
  if (response.status === 200) {
    const declared = Number(response.headers.get('Sealpost-Parts') ?? '1');
    const parts = Number.isInteger(declared) && declared >= 1 && declared <= MAX_PARTS ? declared : 1;
    try {
      return { kind: 'part', bytes: new Uint8Array(await response.arrayBuffer()), parts };
    } catch {
      return { kind: 'error', status: 0 };
    }
  }
  if (response.status === 404) return { kind: 'unavailable' };
  const requestId = await problemRequestId(response);
  return requestId === undefined
    ? { kind: 'error', status: response.status }
    : { kind: 'error', status: response.status, requestId };
}

/** The request id of a problem+json body, shown to the recipient as a support reference. */
async function problemRequestId(response: Response): Promise<string | undefined> {
  if (!response.headers.get('Content-Type')?.startsWith('application/problem+json')) return undefined;
  try {
    const body: unknown = await response.json();
    if (typeof body !== 'object' || body === null || !('requestId' in body)) return undefined;
    const { requestId } = body;
    return typeof requestId === 'string' && /^[\w.:-]{1,100}$/.test(requestId) ? requestId : undefined;
  } catch {
    return undefined;
  }
}
