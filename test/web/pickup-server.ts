/**
 * A stand-in for the portal that implements exactly the contract the pickup page relies on:
 * GET /m/{id} → pickup.html for every id, GET /assets/<name>, POST /m/{id}/open → ciphertext or a
 * problem+json 404, all with the production CSP. It records every request it receives.
 * With `tenants`, ids listed in `brandedIds` get that tenant's page (the production renderer) and
 * /brand/* is served by the production brand routes.
 * A stored message may also need a code (`code`: the one right code; POST /m/{id}/code resends it)
 * or a passcode (its `token` is then derived with it, and `link` identifies the recipient), with
 * the answers of docs/protocol.md §5.4: five wrong answers lock. `facts` fill the page's slots; an id
 * with no stored message gets the portal's "unavailable" page.
 * A message with `wrappedSecret` stands for a recovery link's open (the header on every 200), and
 * POST /m/{id}/reply checks the same credentials as an open, then answers 201 `{id, expiresAt}`.
 * With `partBytes`, a message is served in parts (`Sealpost-Parts`, `"part": n`) like a large one
 * kept in the table. With `blobPartBytes`, it is kept as the blob store keeps a sealed upload or a
 * large message the server sealed: the open answers JSON `{"parts": [{"url", "bytes"}]}` with each
 * part's same-origin /blobs/<id>/<n> URL (presigned: a bare path is refused with 403, as S3 refuses
 * it), and GET of such a URL answers the part as the portal's /blobs/* does (application/octet-stream,
 * the parts' own sandboxing CSP, uncached).
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';

import { PART_CONTENT_TYPE } from '../../functions/adapters/s3/keys.ts';
import { BLOB_SECURITY_HEADERS, CONTENT_SECURITY_POLICY } from '../../functions/http/middleware/security-headers.ts';
import { brandPageOf, renderPickupPage, type PageFacts } from '../../functions/http/pickup-page.ts';
import { brandRoutes, type BrandRoutesDeps } from '../../functions/http/routes/brand.ts';

/** The production policy itself, so the page is tested under exactly what the portal sends. */
export const PORTAL_CSP = CONTENT_SECURITY_POLICY;

export interface StoredMessage {
  readonly token: string;
  readonly ciphertext: Uint8Array;
  /** The link token: with it, a wrong token is a wrong passcode (counted). */
  readonly link?: string;
  /** The message needs this emailed code (or the grant a right code earned). */
  readonly code?: string;
  /** What GET /m/{id} tells the page (passcode field, custody sentence). */
  readonly facts?: PageFacts;
  /** A recovery link: every open answers with this `Sealpost-Wrapped-Secret` header. */
  readonly wrappedSecret?: string;
  /** …and this `Sealpost-Recovered-Key` header (absent: as a server from before custody keys). */
  readonly recoveredKey?: 'custody' | 'recipient';
  /** Serve the ciphertext in parts of this many bytes (Sealpost-Parts), as the portal does a large message; default one part. */
  readonly partBytes?: number;
  /** Keep the ciphertext in the blob store, in parts of this many bytes (4 MiB in the product): the open answers the parts' URLs. */
  readonly blobPartBytes?: number;
  /** Answer the next code request with 429 code-rate-limited for this many seconds. */
  rateLimitCodes?: number;
  failures?: number;
  codesSent?: number;
}

export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  /** The JSON body of a POST. */
  readonly body?: Record<string, unknown>;
}

/** The grant the stand-in hands out for a right code. */
export const TEST_GRANT = 'G'.repeat(43);
/** The id POST /m/{id}/reply answers with. */
export const TEST_REPLY_ID = 'reply-0001';

export interface PickupServer {
  readonly origin: string;
  readonly requests: RecordedRequest[];
  readonly messages: Map<string, StoredMessage>;
  /** Message id → tenant id whose brand its page shows (needs `tenants`). */
  readonly brandedIds: Map<string, string>;
  /** Answers the next `count` opens with this status (e.g. 503) before behaving normally again. */
  failNextOpens(count: number, status: number): void;
  close(): Promise<void>;
}

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
};

export async function startPickupServer(distDir: string, options: { tenants?: BrandRoutesDeps['tenants'] } = {}): Promise<PickupServer> {
  const requests: RecordedRequest[] = [];
  const messages = new Map<string, StoredMessage>();
  const brandedIds = new Map<string, string>();
  const brand = options.tenants && brandRoutes({ tenants: options.tenants });
  let failures = { count: 0, status: 503 };

  const send = (res: ServerResponse, status: number, type: string, body: string | Uint8Array): void => {
    res.writeHead(status, {
      'Content-Type': type,
      'Content-Security-Policy': PORTAL_CSP,
      'Referrer-Policy': 'no-referrer',
      'X-Content-Type-Options': 'nosniff',
      'Cache-Control': 'no-store',
    });
    res.end(body);
  };
  /** A part as the portal's /blobs/* serves it (CloudFront's behaviour in AWS, start-local.ts's proxy locally). */
  const sendPart = (res: ServerResponse, status: number, body?: Uint8Array): void => {
    res.writeHead(status, { ...BLOB_SECURITY_HEADERS, 'Cache-Control': 'no-store', 'Content-Type': PART_CONTENT_TYPE, 'Content-Length': String(body?.length ?? 0) });
    res.end(body);
  };
  /** The stand-in's presigned query: a part's URL carries it, a bare path does not. */
  const signature = (id: string, index: number): string => createHash('sha256').update(`${id}/${index}`).digest('hex');
  const blobParts = (stored: StoredMessage, bytes: number): Uint8Array[] =>
    Array.from({ length: Math.max(1, Math.ceil(stored.ciphertext.length / bytes)) }, (_, i) => stored.ciphertext.subarray(i * bytes, (i + 1) * bytes));
  const problem = (res: ServerResponse, status: number, title: string): void =>
    send(res, status, 'application/problem+json', JSON.stringify({ type: 'about:blank', title, status, detail: title, requestId: 'req-test-1' }));

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    requests.push({ method: req.method ?? '', path: url.pathname });
    const post = /^\/m\/([^/]+)\/(open|code|reply)$/.exec(url.pathname);
    if (req.method === 'POST' && post) {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      if (failures.count > 0) {
        failures = { ...failures, count: failures.count - 1 };
        return problem(res, failures.status, 'Service unavailable');
      }
      if (!req.headers['content-type']?.startsWith('application/json')) return problem(res, 415, 'Unsupported media type');
      let body: Record<string, unknown>;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
      } catch {
        return problem(res, 400, 'Bad request');
      }
      requests[requests.length - 1] = { method: 'POST', path: url.pathname, body };
      const stored = messages.get(decodeURIComponent(post[1] ?? ''));
      if (!stored) return problem(res, 404, 'Not available');
      const answer = (status: number, kind: string, extra: Record<string, unknown>) =>
        send(res, status, 'application/problem+json', JSON.stringify({ type: `urn:sealpost:problem:${kind}`, title: kind, status, detail: kind, requestId: 'req-test-2', ...extra }));
      const fail = (kind: string) => {
        stored.failures = (stored.failures ?? 0) + 1;
        return stored.failures >= 5 ? answer(429, 'locked', { retryAfter: 900 }) : answer(403, kind, { attemptsLeft: 5 - stored.failures });
      };
      const sendCode = () => {
        if (stored.rateLimitCodes) return answer(429, 'code-rate-limited', { retryAfter: stored.rateLimitCodes });
        stored.codesSent = (stored.codesSent ?? 0) + 1;
        return answer(403, 'verification-required', { sentTo: 'a•••@example.com', expiresAt: new Date(Date.now() + 600_000).toISOString() });
      };
      const identified = stored.link !== undefined && body.link === stored.link;
      if (!identified && stored.token !== body.token) return problem(res, 404, 'Not available');
      if ((stored.failures ?? 0) >= 5) return answer(429, 'locked', { retryAfter: 900 });
      if (stored.token !== body.token) return fail('passcode-wrong');
      if (post[2] === 'code') return stored.code === undefined ? problem(res, 409, 'Conflict') : sendCode();
      if (stored.code !== undefined && body.grant !== TEST_GRANT) {
        if (body.code === undefined) return sendCode();
        if (body.code !== stored.code) return fail('code-wrong');
        res.setHeader('Sealpost-Grant', TEST_GRANT);
      }
      if (post[2] === 'reply') {
        return send(res, 201, 'application/json', JSON.stringify({ id: TEST_REPLY_ID, expiresAt: new Date(Date.now() + 86_400_000).toISOString() }));
      }
      if (stored.wrappedSecret !== undefined) res.setHeader('Sealpost-Wrapped-Secret', stored.wrappedSecret);
      if (stored.recoveredKey !== undefined) res.setHeader('Sealpost-Recovered-Key', stored.recoveredKey);
      if (stored.blobPartBytes !== undefined) {
        const id = encodeURIComponent(decodeURIComponent(post[1] ?? ''));
        const parts = blobParts(stored, stored.blobPartBytes).map((part, i) => ({ url: `/blobs/${id}/${i}?X-Amz-Expires=900&X-Amz-Signature=${signature(id, i)}`, bytes: part.length }));
        res.setHeader('Sealpost-Parts', String(parts.length));
        return send(res, 200, 'application/json', JSON.stringify({ parts }));
      }
      if (stored.partBytes === undefined) return send(res, 200, 'application/octet-stream', stored.ciphertext);
      const parts = Math.max(1, Math.ceil(stored.ciphertext.length / stored.partBytes));
      const part = typeof body.part === 'number' ? body.part : 0;
      if (!Number.isInteger(part) || part < 0 || part >= parts) return problem(res, 404, 'Not available');
      res.setHeader('Sealpost-Parts', String(parts));
      return send(res, 200, 'application/octet-stream', stored.ciphertext.subarray(part * stored.partBytes, (part + 1) * stored.partBytes));
    }
    const blob = /^\/blobs\/([A-Za-z0-9_-]{1,64})\/(\d{1,6})$/.exec(url.pathname);
    if (req.method === 'GET' && blob) {
      const [, id = '', index = ''] = blob;
      if (url.searchParams.get('X-Amz-Signature') !== signature(id, Number(index))) return sendPart(res, 403);
      const stored = messages.get(id);
      const part = stored?.blobPartBytes === undefined ? undefined : blobParts(stored, stored.blobPartBytes)[Number(index)];
      return part === undefined ? sendPart(res, 404) : sendPart(res, 200, part);
    }
    const pageId = /^\/m\/([^/]+)\/?$/.exec(url.pathname)?.[1];
    if (req.method === 'GET' && pageId !== undefined) {
      const template = await readFile(path.join(distDir, 'pickup.html'), 'utf8');
      const tenantId = brandedIds.get(decodeURIComponent(pageId));
      const tenant = tenantId === undefined ? undefined : await options.tenants?.getTenant(tenantId);
      // As the portal: a stored message's facts (or none: as a lookup that failed), "unavailable" for any other id.
      const stored = messages.get(decodeURIComponent(pageId));
      return send(res, 200, 'text/html; charset=utf-8', renderPickupPage(template, tenant && brandPageOf(tenant), stored ? stored.facts : 'unavailable'));
    }
    if (req.method === 'GET' && brand && url.pathname.startsWith('/brand/')) {
      const answer = await brand.request(url.pathname + url.search);
      if (answer.status !== 200) return problem(res, answer.status, 'Not found');
      return send(res, 200, answer.headers.get('Content-Type') ?? '', new Uint8Array(await answer.arrayBuffer()));
    }
    const asset = /^\/assets\/([\w.-]+)$/.exec(url.pathname)?.[1];
    const type = asset && CONTENT_TYPES[path.extname(asset)];
    if (req.method === 'GET' && asset && type) {
      try {
        return send(res, 200, type, await readFile(path.join(distDir, 'assets', asset)));
      } catch {
        return problem(res, 404, 'Not found');
      }
    }
    problem(res, 404, 'Not found');
  };

  const server = createServer((req, res) => {
    handle(req, res).catch(() => problem(res, 500, 'Internal error'));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    requests,
    messages,
    brandedIds,
    failNextOpens(count, status) {
      failures = { count, status };
    },
    close: () => new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve()))),
  };
}

/** A server standing for "the internet": it only counts the requests that reach it. */
export async function startRemoteServer(): Promise<{ origin: string; requests: string[]; close(): Promise<void> }> {
  const requests: string[] = [];
  const server = createServer((req, res) => {
    requests.push(req.url ?? '');
    res.writeHead(200, { 'Content-Type': 'image/gif' }).end(Buffer.from('R0lGODlhAQABAAAAACw=', 'base64'));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
