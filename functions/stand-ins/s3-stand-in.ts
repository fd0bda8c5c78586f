/**
 * A local S3 endpoint for `npm start` and the tests: the subset of the S3 REST API that sealpost's
 * blob store and the sealpost CLI use, path-style (`/<bucket>/<key>`), so that the real SDK, its
 * presigned URLs and our adapter run unchanged — PutObject (with `x-amz-checksum-sha256` checked,
 * `If-None-Match: *` honoured,
 * `x-amz-tagging` and Content-Type kept), GetObject (with Range and the response-* overrides), HeadObject, PutObjectTagging, GetObjectTagging
 * and DeleteObjects.
 *
 * Every request must be signed, as a private bucket's are: presigned URLs are checked as S3 checks
 * them (Signature Version 4 in the query, against the local credentials; expiry; every signed header
 * present with its signed value), so a URL that would fail or accept too much in AWS does so here,
 * and a request signed in the Authorization header (the SDK's own calls) is checked the same way,
 * taking the payload hash it declares on trust. An unsigned request is 403. Otherwise a development
 * stand-in, not a security boundary: objects live in memory
 * or in plain files under `<dataDir>/s3/`, there are no lifecycle rules, and anyone who can reach
 * 127.0.0.1 is answered. Never point anything real at it.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { StandIn } from './stand-ins.ts';

/** The most one object may hold here: more than any part sealpost writes (4 MiB). */
const MAX_OBJECT_BYTES = 64 * 1024 * 1024;

interface StoredObject {
  readonly body: Buffer;
  readonly sha256: string;
  readonly etag: string;
  /** The Content-Type the PUT carried (S3 keeps it and answers GETs with it; binary/octet-stream without one). */
  readonly contentType?: string;
  tags: Record<string, string>;
  readonly modified: string;
}

interface ObjectStore {
  get(key: string): Promise<StoredObject | undefined>;
  put(key: string, object: StoredObject): Promise<void>;
  delete(key: string): Promise<void>;
}

function memoryStore(): ObjectStore {
  const objects = new Map<string, StoredObject>();
  return {
    get: async (key) => objects.get(key),
    put: async (key, object) => { objects.set(key, object); },
    delete: async (key) => { objects.delete(key); },
  };
}

/** Objects as files: the body, and its metadata beside it (keys are base64url-encoded file names). */
function fileStore(dir: string): ObjectStore {
  const path = (key: string) => join(dir, Buffer.from(key).toString('base64url'));
  return {
    async get(key) {
      try {
        const meta = JSON.parse(await readFile(`${path(key)}.json`, 'utf8')) as Omit<StoredObject, 'body'>;
        return { ...meta, body: await readFile(path(key)) };
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw error;
      }
    },
    async put(key, { body, ...meta }) {
      await mkdir(dir, { recursive: true });
      await writeFile(path(key), body);
      await writeFile(`${path(key)}.json`, JSON.stringify(meta));
    },
    async delete(key) {
      await rm(path(key), { force: true });
      await rm(`${path(key)}.json`, { force: true });
    },
  };
}

const xmlEscape = (text: string) => text.replace(/[<>&'"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c] as string);
const xmlUnescape = (text: string) => text.replace(/&(lt|gt|amp|apos|quot);/g, (_m, e: string) => ({ lt: '<', gt: '>', amp: '&', apos: "'", quot: '"' })[e] as string);

function sendXml(res: ServerResponse, status: number, xml: string, headers: Record<string, string> = {}): void {
  const body = Buffer.from(`<?xml version="1.0" encoding="UTF-8"?>\n${xml}`);
  res.writeHead(status, { 'Content-Type': 'application/xml', 'Content-Length': String(body.length), ...headers });
  res.end(body);
}

function sendError(res: ServerResponse, status: number, code: string, message: string): void {
  sendXml(res, status, `<Error><Code>${code}</Code><Message>${xmlEscape(message)}</Message><RequestId>${randomBytes(8).toString('hex')}</RequestId></Error>`);
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_OBJECT_BYTES) throw Object.assign(new Error('too large'), { s3: 'EntityTooLarge' });
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

function tagsOf(text: string): Record<string, string> {
  return Object.fromEntries(new URLSearchParams(text));
}

function tagsFromXml(xml: string): Record<string, string> {
  return Object.fromEntries([...xml.matchAll(/<Tag>\s*<Key>([^<]*)<\/Key>\s*<Value>([^<]*)<\/Value>\s*<\/Tag>/g)].map((m) => [xmlUnescape(m[1] as string), xmlUnescape(m[2] as string)]));
}

function objectHeaders(object: StoredObject, withChecksum: boolean): Record<string, string> {
  return {
    ETag: object.etag,
    'Last-Modified': object.modified,
    'Content-Type': object.contentType ?? DEFAULT_CONTENT_TYPE,
    ...(withChecksum ? { 'x-amz-checksum-sha256': object.sha256 } : {}),
    'x-amz-tagging-count': String(Object.keys(object.tags).length),
  };
}

/** What S3 stores for an object PUT without a Content-Type. */
const DEFAULT_CONTENT_TYPE = 'binary/octet-stream';

/**
 * The response-* query parameters of a GET, as the response headers S3 answers with instead of the
 * object's own (S3 API Reference, GetObject, "Overriding response header values").
 */
const RESPONSE_OVERRIDES: Readonly<Record<string, string>> = {
  'response-content-type': 'Content-Type',
  'response-content-disposition': 'Content-Disposition',
  'response-content-language': 'Content-Language',
  'response-content-encoding': 'Content-Encoding',
  'response-cache-control': 'Cache-Control',
  'response-expires': 'Expires',
};

function overridesOf(url: URL): Record<string, string> {
  return Object.fromEntries(Object.entries(RESPONSE_OVERRIDES).flatMap(([param, header]) => {
    const value = url.searchParams.get(param);
    return value === null ? [] : [[header, value] as [string, string]];
  }));
}

/** RFC 3986 encoding, as SigV4 canonicalises query parameters. */
const rfc3986 = (text: string) => encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
const hmac = (key: Buffer | string, data: string) => createHmac('sha256', key).update(data).digest();

/** SigV4's "X-Amz-Date" (20261206T102233Z) as a time, NaN when malformed. */
const amzTime = (amzDate: string) => Date.parse(`${amzDate.slice(0, 4)}-${amzDate.slice(4, 6)}-${amzDate.slice(6, 8)}T${amzDate.slice(9, 11)}:${amzDate.slice(11, 13)}:${amzDate.slice(13, 15)}Z`);

interface Signed {
  readonly req: Pick<IncomingMessage, 'method' | 'url' | 'headers'>;
  readonly signedHeaders: readonly string[];
  /** The query as signed: every parameter but X-Amz-Signature. */
  readonly query: URLSearchParams;
  readonly payloadHash: string;
  readonly amzDate: string;
  readonly date: string;
  readonly region: string;
  readonly signature: string;
}

/** The SigV4 check both kinds of request end with: the canonical request, signed with the scope's key. */
function signatureProblem(signed: Signed, secretAccessKey: string): string | undefined {
  const { req } = signed;
  const headerLines: string[] = [];
  for (const name of signed.signedHeaders) {
    const value = req.headers[name];
    if (value === undefined) return `the signed header ${name} is missing`;
    headerLines.push(`${name}:${String(value).trim().replace(/\s+/g, ' ')}\n`);
  }
  const canonicalQuery = [...signed.query.entries()].filter(([k]) => k !== 'X-Amz-Signature')
    .map(([k, v]) => [rfc3986(k), rfc3986(v)] as const)
    .sort(([a, x], [b, y]) => (a < b ? -1 : a > b ? 1 : x < y ? -1 : x > y ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`).join('&');
  const path = (req.url ?? '/').split('?')[0] as string;
  const canonicalRequest = [req.method, path, canonicalQuery, headerLines.join(''), signed.signedHeaders.join(';'), signed.payloadHash].join('\n');
  const scope = `${signed.date}/${signed.region}/s3/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', signed.amzDate, scope, createHash('sha256').update(canonicalRequest).digest('hex')].join('\n');
  const key = hmac(hmac(hmac(hmac(`AWS4${secretAccessKey}`, signed.date), signed.region), 's3'), 'aws4_request');
  const expected = hmac(key, stringToSign);
  const given = Buffer.from(signed.signature, 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected) ? undefined : 'The request signature we calculated does not match the signature you provided';
}

/**
 * Checks a presigned request (Signature Version 4, query parameters) the way S3 does; returns why it
 * fails, or undefined when it holds. https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-query-string-auth.html
 */
export function presignedRequestProblem(req: Pick<IncomingMessage, 'method' | 'url' | 'headers'>, secretAccessKey: string, now: Date): string | undefined {
  const raw = req.url ?? '/';
  const query = raw.includes('?') ? raw.slice(raw.indexOf('?') + 1) : '';
  const params = new URLSearchParams(query);
  if (params.get('X-Amz-Algorithm') !== 'AWS4-HMAC-SHA256') return 'X-Amz-Algorithm must be AWS4-HMAC-SHA256';
  const [, date, region, service, terminator] = (params.get('X-Amz-Credential') ?? '').split('/');
  const amzDate = params.get('X-Amz-Date') ?? '';
  const expires = Number(params.get('X-Amz-Expires'));
  const signedHeaders = (params.get('X-Amz-SignedHeaders') ?? '').split(';').filter(Boolean);
  const signature = params.get('X-Amz-Signature') ?? '';
  if (!date || !region || service !== 's3' || terminator !== 'aws4_request' || !amzDate.startsWith(date)) return 'the credential scope is malformed';
  const signedAt = amzTime(amzDate);
  if (!Number.isFinite(signedAt) || !Number.isInteger(expires) || expires < 1 || expires > 604800) return 'X-Amz-Date or X-Amz-Expires is malformed';
  if (now.getTime() > signedAt + expires * 1000) return 'Request has expired';
  if (!signedHeaders.includes('host')) return 'host must be a signed header';
  return signatureProblem({ req, signedHeaders, query: params, payloadHash: 'UNSIGNED-PAYLOAD', amzDate, date, region, signature }, secretAccessKey);
}


/** Stores a PUT's body under `id` (the checks done), with its tags and Content-Type, and answers. */
async function putObject(store: ObjectStore, id: string, req: IncomingMessage, res: ServerResponse, body: Buffer, sha256: string): Promise<void> {
  const tagging = req.headers['x-amz-tagging'];
  const etag = `"${createHash('md5').update(body).digest('hex')}"`;
  const contentType = req.headers['content-type'];
  await store.put(id, {
    body, sha256, etag, ...(contentType ? { contentType } : {}), tags: typeof tagging === 'string' ? tagsOf(tagging) : {}, modified: new Date().toUTCString(),
  });
  res.writeHead(200, { ETag: etag, 'x-amz-checksum-sha256': sha256, 'Content-Length': '0' });
  return void res.end();
}

/** How far an Authorization-header request's X-Amz-Date may be from now (S3: RequestTimeTooSkewed). */
const MAX_CLOCK_SKEW_MS = 15 * 60 * 1000;

/**
 * Checks a request signed in its Authorization header (Signature Version 4, the SDK's own calls)
 * the way S3 does: credential scope, the date within 15 minutes, every signed header present, and
 * the signature over the canonical request with the payload hash the request declares
 * (x-amz-content-sha256; the body is not hashed again here). Returns why it fails, or undefined.
 * https://docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-header-based-auth.html
 */
export function authorizedRequestProblem(req: Pick<IncomingMessage, 'method' | 'url' | 'headers'>, secretAccessKey: string, now: Date): string | undefined {
  const match = /^AWS4-HMAC-SHA256 Credential=([^,\s]+),\s*SignedHeaders=([^,\s]+),\s*Signature=([0-9a-f]{64})$/.exec(String(req.headers.authorization ?? '').trim());
  if (!match) return 'the Authorization header is not AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…';
  const [, credential, signedList, signature] = match as unknown as [string, string, string, string];
  const [, date, region, service, terminator] = credential.split('/');
  const amzDate = String(req.headers['x-amz-date'] ?? '');
  const payloadHash = req.headers['x-amz-content-sha256'];
  if (!date || !region || service !== 's3' || terminator !== 'aws4_request' || !amzDate.startsWith(date)) return 'the credential scope is malformed';
  if (typeof payloadHash !== 'string') return 'x-amz-content-sha256 is missing';
  const signedAt = amzTime(amzDate);
  if (!Number.isFinite(signedAt) || Math.abs(now.getTime() - signedAt) > MAX_CLOCK_SKEW_MS) return 'The difference between the request time and the current time is too large';
  const signedHeaders = signedList.split(';');
  if (!signedHeaders.includes('host') || !signedHeaders.includes('x-amz-date') || !signedHeaders.includes('x-amz-content-sha256')) return 'host, x-amz-date and x-amz-content-sha256 must be signed';
  const raw = req.url ?? '/';
  const query = new URLSearchParams(raw.includes('?') ? raw.slice(raw.indexOf('?') + 1) : '');
  return signatureProblem({ req, signedHeaders, query, payloadHash, amzDate, date, region, signature }, secretAccessKey);
}

async function handle(store: ObjectStore, writing: Set<string>, secretAccessKey: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://s3.local');
  // As S3 answers a private bucket: nothing without a signature, presigned (query) or in the
  // Authorization header (the SDK's own calls), made with the local credentials.
  const problem = url.searchParams.has('X-Amz-Signature') ? presignedRequestProblem(req, secretAccessKey, new Date())
    : req.headers.authorization !== undefined ? authorizedRequestProblem(req, secretAccessKey, new Date())
      : 'Anonymous access to this bucket is denied: sign the request (SigV4)';
  if (problem) {
    const code = problem === 'Request has expired' || problem.startsWith('Anonymous') ? 'AccessDenied' : problem.startsWith('The difference') ? 'RequestTimeTooSkewed' : 'SignatureDoesNotMatch';
    return sendError(res, 403, code, problem);
  }
  const [, bucket, ...rest] = url.pathname.split('/');
  const key = decodeURIComponent(rest.join('/'));
  const id = `${bucket}/${key}`;
  const method = req.method ?? 'GET';
  if (!bucket) return sendError(res, 400, 'InvalidRequest', 'Only path-style requests (/<bucket>/<key>) are served here.');

  if (method === 'POST' && url.searchParams.has('delete') && key === '') {
    const xml = (await readBody(req)).toString('utf8');
    const keys = [...xml.matchAll(/<Key>([^<]*)<\/Key>/g)].map((m) => xmlUnescape(m[1] as string));
    for (const k of keys) await store.delete(`${bucket}/${k}`);
    return sendXml(res, 200, `<DeleteResult>${keys.map((k) => `<Deleted><Key>${xmlEscape(k)}</Key></Deleted>`).join('')}</DeleteResult>`);
  }
  if (key === '') return sendError(res, 400, 'NotImplemented', 'This stand-in serves objects, not bucket operations.');

  if (url.searchParams.has('tagging')) {
    const object = await store.get(id);
    if (!object) return sendError(res, 404, 'NoSuchKey', 'The specified key does not exist.');
    if (method === 'PUT') {
      object.tags = tagsFromXml((await readBody(req)).toString('utf8'));
      await store.put(id, object);
      return sendXml(res, 200, '<Tagging/>');
    }
    const tags = Object.entries(object.tags).map(([k, v]) => `<Tag><Key>${xmlEscape(k)}</Key><Value>${xmlEscape(v)}</Value></Tag>`).join('');
    return sendXml(res, 200, `<Tagging><TagSet>${tags}</TagSet></Tagging>`);
  }

  switch (method) {
    case 'PUT': {
      const body = await readBody(req);
      const sha256 = createHash('sha256').update(body).digest('base64');
      const declared = req.headers['x-amz-checksum-sha256'];
      if (typeof declared === 'string' && declared !== sha256) return sendError(res, 400, 'BadDigest', 'The SHA256 you specified did not match the calculated checksum.');
      const declaredLength = Number(req.headers['content-length']);
      if (Number.isFinite(declaredLength) && declaredLength !== body.length) return sendError(res, 400, 'IncompleteBody', 'You did not provide the number of bytes specified by the Content-Length HTTP header.');
      // S3 conditional writes: If-None-Match: * writes only a key that does not exist (412
      // otherwise); S3 supports no other value there. Checked and claimed at once, so of two
      // concurrent writes of one key only one lands.
      const ifNoneMatch = req.headers['if-none-match'];
      if (ifNoneMatch !== undefined && ifNoneMatch !== '*') return sendError(res, 501, 'NotImplemented', 'A header you provided implies functionality that is not implemented.');
      if (ifNoneMatch === '*') {
        if (writing.has(id)) return sendError(res, 409, 'ConditionalRequestConflict', 'A conflicting conditional operation is currently in progress against this resource.');
        writing.add(id);
      }
      try {
        if (ifNoneMatch === '*' && await store.get(id)) return sendError(res, 412, 'PreconditionFailed', 'At least one of the pre-conditions you specified did not hold');
        return await putObject(store, id, req, res, body, sha256);
      } finally {
        if (ifNoneMatch === '*') writing.delete(id);
      }
    }
    case 'GET':
    case 'HEAD': {
      const object = await store.get(id);
      if (!object) {
        if (method === 'HEAD') return void res.writeHead(404).end();
        return sendError(res, 404, 'NoSuchKey', 'The specified key does not exist.');
      }
      const withChecksum = req.headers['x-amz-checksum-mode'] === 'ENABLED';
      const range = /^bytes=(\d+)-(\d*)$/.exec(String(req.headers.range ?? ''));
      if (range && method === 'GET') {
        const start = Number(range[1]);
        const end = Math.min(range[2] ? Number(range[2]) : object.body.length - 1, object.body.length - 1);
        if (start > end) return sendError(res, 416, 'InvalidRange', 'The requested range is not satisfiable.');
        const slice = object.body.subarray(start, end + 1);
        res.writeHead(206, { ...objectHeaders(object, false), ...overridesOf(url), 'Content-Range': `bytes ${start}-${end}/${object.body.length}`, 'Content-Length': String(slice.length) });
        return void res.end(slice);
      }
      res.writeHead(200, { ...objectHeaders(object, withChecksum), ...overridesOf(url), 'Content-Length': String(object.body.length) });
      return void res.end(method === 'HEAD' ? undefined : object.body);
    }
    case 'DELETE':
      await store.delete(id);
      return void res.writeHead(204).end();
    default:
      return sendError(res, 405, 'MethodNotAllowed', 'The specified method is not allowed against this resource.');
  }
}

/**
 * The S3 stand-in on 127.0.0.1; objects under `<dataDir>/s3` when `dataDir` is given, in memory
 * otherwise. Presigned URLs are verified against `secretAccessKey` (the local credentials).
 */
export async function startS3(options: { port?: number; dataDir?: string; secretAccessKey?: string } = {}): Promise<StandIn> {
  const store = options.dataDir ? fileStore(join(options.dataDir, 's3')) : memoryStore();
  const secret = options.secretAccessKey ?? 'local';
  const writing = new Set<string>();
  const server = createServer((req, res) => {
    handle(store, writing, secret, req, res).catch((error: unknown) => {
      const code = (error as { s3?: string }).s3;
      if (!res.headersSent) sendError(res, code ? 400 : 500, code ?? 'InternalError', code ? 'Your proposed upload exceeds the maximum allowed size.' : 'We encountered an internal error.');
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    port,
    close: () => new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
