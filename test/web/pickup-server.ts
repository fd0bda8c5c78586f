/**
 * A stand-in for the portal that implements exactly the contract the pickup page relies on:
 * GET /m/{id} → pickup.html for every id, GET /assets/<name>, POST /m/{id}/open → ciphertext or a
 * problem+json 404, all with the production CSP. It records every request it receives.
 * With `tenants`, ids listed in `brandedIds` get that tenant's page (the production renderer) and
 * /brand/* is served by the production brand routes.
 */
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';

import { CONTENT_SECURITY_POLICY } from '../../functions/http/middleware/security-headers.ts';
import { brandPageOf, renderPickupPage } from '../../functions/http/pickup-page.ts';
import { brandRoutes, type BrandRoutesDeps } from '../../functions/http/routes/brand.ts';

/** The production policy itself, so the page is tested under exactly what the portal sends. */
export const PORTAL_CSP = CONTENT_SECURITY_POLICY;

export interface StoredMessage {
  readonly token: string;
  readonly ciphertext: Uint8Array;
}

export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
}

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
  const problem = (res: ServerResponse, status: number, title: string): void =>
    send(res, status, 'application/problem+json', JSON.stringify({ type: 'about:blank', title, status, detail: title, requestId: 'req-test-1' }));

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    requests.push({ method: req.method ?? '', path: url.pathname });
    const open = /^\/m\/([^/]+)\/open$/.exec(url.pathname);
    if (req.method === 'POST' && open) {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      if (failures.count > 0) {
        failures = { ...failures, count: failures.count - 1 };
        return problem(res, failures.status, 'Service unavailable');
      }
      if (!req.headers['content-type']?.startsWith('application/json')) return problem(res, 415, 'Unsupported media type');
      let token: unknown;
      try {
        token = (JSON.parse(Buffer.concat(chunks).toString('utf8')) as { token?: unknown }).token;
      } catch {
        return problem(res, 400, 'Bad request');
      }
      const stored = messages.get(decodeURIComponent(open[1] ?? ''));
      if (!stored || stored.token !== token) return problem(res, 404, 'Not available');
      return send(res, 200, 'application/octet-stream', stored.ciphertext);
    }
    const pageId = /^\/m\/([^/]+)\/?$/.exec(url.pathname)?.[1];
    if (req.method === 'GET' && pageId !== undefined) {
      const template = await readFile(path.join(distDir, 'pickup.html'), 'utf8');
      const tenantId = brandedIds.get(decodeURIComponent(pageId));
      const tenant = tenantId === undefined ? undefined : await options.tenants?.getTenant(tenantId);
      return send(res, 200, 'text/html; charset=utf-8', renderPickupPage(template, tenant && brandPageOf(tenant)));
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
