/**
 * The blob store of sealed uploads against the S3 stand-in, with the S3 client built as the entries
 * build it (functions/entries/compose/blobs.ts): a part URL accepts exactly its declared part; parts
 * are read, committed and deleted; download URLs (the SDK's, and the portal's hand-written ones) are
 * same-origin paths that the stand-in serves until they expire. And the stand-in's verifier against
 * the AWS SDK's own presigner, which ties our presigner and verifier to AWS's.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { createServer, request } from 'node:http';
import { GetObjectCommand, GetObjectTaggingCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { S3RequestPresigner, getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { S3BlobStore } from '../../../functions/adapters/s3/blob-store.ts';
import { S3Downloads } from '../../../functions/adapters/s3/downloads.ts';
import { presignGet, rfc3986 } from '../../../functions/adapters/s3/presign.ts';
import { DependencyError } from '../../../functions/core/shared/index.ts';
import { presignedRequestProblem, startS3 } from '../../../functions/stand-ins/s3-stand-in.ts';
import type { StandIn } from '../../../functions/stand-ins/stand-ins.ts';

const BUCKET = 'sealpost-blobs-test';
const REGION = 'us-east-1';
const CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };

let s3: StandIn;
let client: S3Client;
let store: S3BlobStore;
beforeAll(async () => {
  s3 = await startS3();
  client = s3Client(s3.endpoint);
  store = new S3BlobStore(client, BUCKET);
});
afterAll(async () => {
  client.destroy();
  await s3.close();
});
afterEach(() => { vi.useRealTimers(); });

/** The client as composeBlobs builds it (path-style; checksums only when an operation needs one). */
function s3Client(endpoint: string, extra: { maxAttempts?: number } = {}): S3Client {
  return new S3Client({
    region: REGION, endpoint, credentials: CREDENTIALS, forcePathStyle: true,
    requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED', ...extra,
  });
}

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('base64');
let ids = 0;
const aMessageId = () => `msg${String(++ids).padStart(19, '0')}`;

/** Signs `fn`'s URLs `secondsAgo` in the past (the stand-in checks expiry against the real clock). */
async function signedInThePast<T>(secondsAgo: number, fn: () => Promise<T>): Promise<T> {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(Date.now() - secondsAgo * 1000);
  try {
    return await fn();
  } finally {
    vi.useRealTimers();
  }
}

async function put(url: string, headers: Record<string, string>, body: Uint8Array): Promise<{ status: number; code?: string; message?: string }> {
  // As the SDK's putPart does: the body sets Content-Length.
  const sent = Object.fromEntries(Object.entries(headers).filter(([name]) => name.toLowerCase() !== 'content-length'));
  const response = await fetch(url, { method: 'PUT', headers: sent, body: body as Uint8Array<ArrayBuffer> });
  const text = await response.text();
  return { status: response.status, code: /<Code>([^<]*)<\/Code>/.exec(text)?.[1], message: /<Message>([^<]*)<\/Message>/.exec(text)?.[1] };
}

/** A PUT with exactly these headers (Content-Length included), which fetch would not send. */
function rawPut(url: string, headers: Record<string, string>, body: Uint8Array): Promise<{ status: number; code?: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'PUT', headers }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (c: string) => { text += c; }).on('end', () => resolve({ status: res.statusCode ?? 0, code: /<Code>([^<]*)<\/Code>/.exec(text)?.[1] }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function readAll(messageId: string, index: number): Promise<Buffer | undefined> {
  const chunks = await store.read(messageId, index);
  if (!chunks) return undefined;
  const out: Buffer[] = [];
  for await (const chunk of chunks) out.push(Buffer.from(chunk));
  return Buffer.concat(out);
}

async function stateTag(messageId: string, index: number): Promise<string | undefined> {
  const { TagSet } = await client.send(new GetObjectTaggingCommand({ Bucket: BUCKET, Key: `blobs/${messageId}/${index}` }));
  return TagSet?.find((t) => t.Key === 'sealpost-state')?.Value;
}

/** A part URL for `bytes`, as partUploads asks for it. */
async function partUrl(messageId: string, index: number, bytes: Uint8Array, seconds = 3600) {
  return store.uploadUrl(messageId, index, { bytes: bytes.length, sha256: sha256(bytes) }, seconds);
}

/** What the portal's /blobs/* path becomes behind CloudFront (and the local proxy): the bucket's own path. */
const standInUrl = (path: string) => `${s3.endpoint}/${BUCKET}${path}`;

describe('S3BlobStore part URLs', () => {
  it('accept exactly the declared part, tagged pending', async () => {
    const id = aMessageId();
    const part = new Uint8Array(randomBytes(1024 * 1024 + 7));
    const { url, headers } = await partUrl(id, 0, part);

    const answer = await put(url, headers, part);

    expect(answer.status).toBe(200);
    expect(new URL(url).pathname).toBe(`/${BUCKET}/blobs/${id}/0`);
    expect(headers).toEqual({
      'content-length': String(part.length), 'content-type': 'application/octet-stream', 'if-none-match': '*', 'x-amz-checksum-sha256': sha256(part), 'x-amz-tagging': 'sealpost-state=pending',
    });
    expect((await readAll(id, 0))?.equals(part)).toBe(true);
    expect(await stateTag(id, 0)).toBe('pending');
  });

  it('refuse other bytes of the same size (BadDigest), and store nothing', async () => {
    const id = aMessageId();
    const part = new Uint8Array(randomBytes(4096));
    const { url, headers } = await partUrl(id, 0, part);

    const answer = await put(url, headers, new Uint8Array(randomBytes(4096)));

    expect(answer).toMatchObject({ status: 400, code: 'BadDigest' });
    expect(await readAll(id, 0)).toBeUndefined();
  });

  it('refuse other bytes sent with their own checksum (the checksum header is signed)', async () => {
    const id = aMessageId();
    const part = new Uint8Array(randomBytes(4096));
    const other = new Uint8Array(randomBytes(4096));
    const { url, headers } = await partUrl(id, 0, part);

    const answer = await put(url, { ...headers, 'x-amz-checksum-sha256': sha256(other) }, other);

    expect(answer).toMatchObject({ status: 403, code: 'SignatureDoesNotMatch' });
    expect(await readAll(id, 0)).toBeUndefined();
  });

  it('refuse a part without its tagging header, so nothing is stored untagged', async () => {
    const id = aMessageId();
    const part = new Uint8Array(randomBytes(4096));
    const { url, headers: { 'x-amz-tagging': _tagging, ...rest } } = await partUrl(id, 0, part);

    const answer = await put(url, rest, part);

    expect(answer).toMatchObject({ status: 403, message: 'the signed header x-amz-tagging is missing' });
    expect(await readAll(id, 0)).toBeUndefined();
  });

  it('refuse a part of another size (the length is signed), and a part put under another key', async () => {
    const id = aMessageId();
    const part = new Uint8Array(randomBytes(4096));
    const { url, headers } = await partUrl(id, 0, part);

    const short = await rawPut(url, { ...headers, 'content-length': '4000' }, part.subarray(0, 4000));
    const elsewhere = await put(url.replace(`/${id}/0?`, `/${id}/1?`), headers, part);

    expect(new URL(url).searchParams.get('X-Amz-SignedHeaders')).toBe('content-length;content-type;host;if-none-match;x-amz-checksum-sha256;x-amz-tagging');
    expect(short).toMatchObject({ status: 403, code: 'SignatureDoesNotMatch' });
    expect(elsewhere).toMatchObject({ status: 403, code: 'SignatureDoesNotMatch' });
    expect(await readAll(id, 0)).toBeUndefined();
    expect(await readAll(id, 1)).toBeUndefined();
  });

  it('refuse a part sent as a page, or with no Content-Type (it is signed: S3 would serve it back)', async () => {
    const id = aMessageId();
    const part = new TextEncoder().encode('<!doctype html><script src="/blobs/x/1"></script>');
    const { url, headers } = await partUrl(id, 0, part);

    const asHtml = await put(url, { ...headers, 'content-type': 'text/html; charset=utf-8' }, part);
    const { 'content-type': _type, ...untyped } = headers;
    const withoutType = await rawPut(url, untyped, part);

    expect(asHtml).toMatchObject({ status: 403, code: 'SignatureDoesNotMatch' });
    expect(withoutType.status).toBe(403);
    expect(await readAll(id, 0)).toBeUndefined();
  });

  it('write a part once: a second URL for other bytes of the same index, or the same URL again, is refused (412) and the part keeps its bytes and its tag', async () => {
    const id = aMessageId();
    const part = new Uint8Array(randomBytes(4096));
    const other = new Uint8Array(randomBytes(4096));
    const first = await partUrl(id, 0, part);
    const second = await partUrl(id, 0, other);
    expect((await put(first.url, first.headers, part)).status).toBe(200);
    await store.commit(id, 1);

    const swapped = await put(second.url, second.headers, other);
    const again = await put(first.url, first.headers, part);

    expect(swapped).toMatchObject({ status: 412, code: 'PreconditionFailed' });
    expect(again).toMatchObject({ status: 412, code: 'PreconditionFailed' });
    expect((await readAll(id, 0))?.equals(part)).toBe(true);
    expect(await stateTag(id, 0)).toBe('committed');
  });

  it('refuse a part without its If-None-Match header (it is signed), so none can overwrite', async () => {
    const id = aMessageId();
    const part = new Uint8Array(randomBytes(4096));
    const { url, headers: { 'if-none-match': _condition, ...rest } } = await partUrl(id, 0, part);

    const answer = await put(url, rest, part);

    expect(answer).toMatchObject({ status: 403, message: 'the signed header if-none-match is missing' });
    expect(await readAll(id, 0)).toBeUndefined();
  });

  it('refuse a part once the URL has expired', async () => {
    const id = aMessageId();
    const part = new Uint8Array(randomBytes(4096));
    const { url, headers } = await signedInThePast(61, () => partUrl(id, 0, part, 60));

    const answer = await put(url, headers, part);

    expect(answer).toMatchObject({ status: 403, code: 'AccessDenied', message: 'Request has expired' });
    expect(await readAll(id, 0)).toBeUndefined();
  });
});

describe('S3BlobStore parts', () => {
  async function twoParts() {
    const id = aMessageId();
    const parts = [new Uint8Array(randomBytes(4 * 1024 * 1024)), new Uint8Array(randomBytes(1000))];
    for (const [index, part] of parts.entries()) {
      const { url, headers } = await partUrl(id, index, part);
      expect((await put(url, headers, part)).status).toBe(200);
    }
    return { id, parts };
  }

  it('reads a part back whole, and nothing for a part that was never put', async () => {
    const { id, parts } = await twoParts();

    expect((await readAll(id, 0))?.equals(parts[0]!)).toBe(true);
    expect((await readAll(id, 1))?.equals(parts[1]!)).toBe(true);
    expect(await store.read(id, 2)).toBeUndefined();
  });

  /** A 4 MiB part put in the store, and a buffer to read it into (as the completion reads). */
  async function aFullPart() {
    const id = aMessageId();
    const part = new Uint8Array(randomBytes(4 * 1024 * 1024));
    const { url, headers } = await partUrl(id, 0, part);
    expect((await put(url, headers, part)).status).toBe(200);
    return { id, part, into: new Uint8Array(part.length) };
  }
  const arrayBuffers = () => process.memoryUsage().arrayBuffers;

  /** Reads part 0 of `id` into `into`, as the completion does; the most ArrayBuffer memory over `before` seen meanwhile. */
  async function readPart(id: string, into: Uint8Array, before: number): Promise<number> {
    let most = 0;
    let at = 0;
    for await (const chunk of (await store.read(id, 0)) ?? []) {
      into.set(chunk, at);
      at += chunk.length;
      most = Math.max(most, arrayBuffers() - before);
    }
    expect(at).toBe(into.length);
    return most;
  }

  it('hands a part\'s read buffers back once it is read: reading 32 MiB leaves no more than a part or two of them', async () => {
    const { id, into } = await aFullPart();
    await new Promise((resolve) => setTimeout(resolve, 20));
    const before = arrayBuffers();
    let most = 0;
    // As the completion reads: part after part, each copied into one buffer. Every byte arrives in
    // buffers of its own (the socket's reads, the HTTP parser's copies), which V8 would otherwise
    // leave until 32 MiB of them exist.
    for (let read = 0; read < 8; read++) {
      most = Math.max(most, await readPart(id, into, before));
      // The collection's sweep of the buffers' memory finishes off the main thread.
      await new Promise((resolve) => setTimeout(resolve, 5));
    }

    expect(most).toBeLessThan(12 * 1024 * 1024);
  });

  it('hands the read buffers back as a part is read, not only at its end: a 4 MiB part holds a MiB or two of them', async () => {
    const { id, into } = await aFullPart();
    const mosts: number[] = [];
    for (let read = 0; read < 3; read++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      mosts.push(await readPart(id, into, arrayBuffers()));
    }
    // Collected only at the part's end, the whole part's buffers (4 MiB and more) would be held.
    expect(Math.min(...mosts)).toBeLessThan(3 * 1024 * 1024);
  });

  it('tags committed parts so they no longer expire as an unfinished upload', async () => {
    const { id } = await twoParts();

    await store.commit(id, 2);

    expect([await stateTag(id, 0), await stateTag(id, 1)]).toEqual(['committed', 'committed']);
  });

  it('tags uncommitted parts pending again, so they expire as an unfinished upload\'s do', async () => {
    const { id } = await twoParts();
    await store.commit(id, 2);

    await store.uncommit(id, 2);

    expect([await stateTag(id, 0), await stateTag(id, 1)]).toEqual(['pending', 'pending']);
  });

  it('commits and deletes uploads of more parts than one batch of requests', async () => {
    const id = aMessageId();
    for (let index = 0; index < 10; index++) {
      await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: `blobs/${id}/${index}`, Body: new Uint8Array([index]), Tagging: 'sealpost-state=pending' }));
    }

    await store.commit(id, 10);
    const tags = await Promise.all(Array.from({ length: 10 }, (_, i) => stateTag(id, i)));
    await store.delete(id, 10);

    expect(tags).toEqual(Array(10).fill('committed'));
    for (let index = 0; index < 10; index++) expect(await store.read(id, index)).toBeUndefined();
  });

  it('deletes every part', async () => {
    const { id } = await twoParts();

    await store.delete(id, 2);

    expect(await store.read(id, 0)).toBeUndefined();
    expect(await store.read(id, 1)).toBeUndefined();
  });

  it('turns an unreachable S3 into a DependencyError, not "no such part"', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const unreachable = new S3BlobStore(s3Client(`http://127.0.0.1:${port}`, { maxAttempts: 1 }), BUCKET);

    await expect(unreachable.read('m', 0)).rejects.toBeInstanceOf(DependencyError);
    await expect(unreachable.commit('m', 1)).rejects.toBeInstanceOf(DependencyError);
    await expect(unreachable.uncommit('m', 1)).rejects.toBeInstanceOf(DependencyError);
    await expect(unreachable.delete('m', 1)).rejects.toBeInstanceOf(DependencyError);
  });

  it('turns a part whose connection breaks halfway into a DependencyError', async () => {
    const breaking = createServer((_req, res) => {
      res.writeHead(200, { 'Content-Length': '100000', 'Content-Type': 'application/octet-stream' });
      res.write(Buffer.alloc(1000));
      setTimeout(() => res.destroy(), 10);
    });
    await new Promise<void>((resolve) => breaking.listen(0, '127.0.0.1', resolve));
    const broken = new S3BlobStore(s3Client(`http://127.0.0.1:${(breaking.address() as AddressInfo).port}`, { maxAttempts: 1 }), BUCKET);

    try {
      const chunks = await broken.read('m', 0);
      const reading = (async () => { for await (const _chunk of chunks ?? []) { /* drain */ } })();

      await expect(reading).rejects.toBeInstanceOf(DependencyError);
    } finally {
      await new Promise((resolve) => breaking.close(resolve));
    }
  });
});

describe('download URLs', () => {
  async function aStoredPart() {
    const id = aMessageId();
    const part = new Uint8Array(randomBytes(5000));
    await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: `blobs/${id}/0`, Body: part }));
    return { id, part };
  }
  const downloads = (clock: () => Date) => new S3Downloads({ endpoint: s3.endpoint, region: REGION, bucket: BUCKET, credentials: () => CREDENTIALS, clock });

  it('from S3BlobStore are /blobs/ paths whose full URL the stand-in serves', async () => {
    const { id, part } = await aStoredPart();

    const path = await store.downloadUrl(id, 0, 900);

    expect(path).toMatch(new RegExp(`^/blobs/${id}/0\\?`));
    const got = await fetch(standInUrl(path));
    expect(got.status).toBe(200);
    expect(Buffer.from(await got.arrayBuffer()).equals(part)).toBe(true);
  });

  it('from S3Downloads (signed without the S3 client) are /blobs/ paths whose full URL the stand-in serves', async () => {
    const { id, part } = await aStoredPart();

    const path = await downloads(() => new Date()).downloadUrl(id, 0, 900);

    expect(path).toMatch(new RegExp(`^/blobs/${id}/0\\?`));
    const got = await fetch(standInUrl(path));
    expect(got.status).toBe(200);
    expect(Buffer.from(await got.arrayBuffer()).equals(part)).toBe(true);
  });

  it('answer opaque bytes as an attachment, uncached, whatever Content-Type the part was stored with', async () => {
    const id = aMessageId();
    const page = new TextEncoder().encode('<!doctype html><script>alert(document.cookie)</script>');
    await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: `blobs/${id}/1`, Body: page, ContentType: 'text/html; charset=utf-8' }));
    // The stand-in keeps a PUT's Content-Type and serves it back, as S3 does, when nothing overrides it.
    const plain = await fetch(await getSignedUrl(client, new GetObjectCommand({ Bucket: BUCKET, Key: `blobs/${id}/1` }), { expiresIn: 60 }));
    expect(plain.headers.get('content-type')).toBe('text/html; charset=utf-8');
    await plain.body?.cancel();

    for (const path of [await store.downloadUrl(id, 1, 900), await downloads(() => new Date()).downloadUrl(id, 1, 900)]) {
      const params = new URL(path, 'https://portal.example').searchParams;
      expect(params.get('response-content-type')).toBe('application/octet-stream');
      expect(params.get('response-content-disposition')).toBe('attachment');
      expect(params.get('response-cache-control')).toBe('no-store');
      const got = await fetch(standInUrl(path));
      expect(got.status).toBe(200);
      expect(got.headers.get('content-type')).toBe('application/octet-stream');
      expect(got.headers.get('content-disposition')).toBe('attachment');
      expect(got.headers.get('cache-control')).toBe('no-store');
      expect(Buffer.from(await got.arrayBuffer()).equals(Buffer.from(page))).toBe(true);
    }
  });

  it('expire, whichever signed them', async () => {
    const { id } = await aStoredPart();
    const sixteenMinutesAgo = () => new Date(Date.now() - 16 * 60 * 1000);

    const ours = await downloads(sixteenMinutesAgo).downloadUrl(id, 0, 900);
    const theirs = await signedInThePast(16 * 60, () => store.downloadUrl(id, 0, 900));

    for (const path of [ours, theirs]) {
      const got = await fetch(standInUrl(path));
      expect(got.status).toBe(403);
      expect(await got.text()).toContain('Request has expired');
    }
  });
});

describe('the stand-in, as a private bucket', () => {
  it('refuses unsigned reads and writes (403 AccessDenied), and leaves the object as it was', async () => {
    const id = aMessageId();
    const part = new Uint8Array(randomBytes(100));
    await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: `blobs/${id}/0`, Body: part }));

    const read = await fetch(standInUrl(`/blobs/${id}/0`));
    const write = await fetch(standInUrl(`/blobs/${id}/0`), { method: 'PUT', body: 'overwritten' });
    const tagging = await fetch(standInUrl(`/blobs/${id}/0?tagging`));
    const remove = await fetch(standInUrl(`/blobs/${id}/0`), { method: 'DELETE' });

    expect([read.status, write.status, tagging.status, remove.status]).toEqual([403, 403, 403, 403]);
    expect(await read.text()).toContain('<Code>AccessDenied</Code>');
    expect((await readAll(id, 0))?.equals(part)).toBe(true);
  });

  it('checks a request signed in its Authorization header: other credentials, or a header changed after signing, are refused', async () => {
    const id = aMessageId();
    await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: `blobs/${id}/0`, Body: new Uint8Array(10) }));
    const wrongSecret = new S3Client({ region: REGION, endpoint: s3.endpoint, forcePathStyle: true, credentials: { accessKeyId: 'local', secretAccessKey: 'not-local' }, maxAttempts: 1 });
    const tampering = s3Client(s3.endpoint, { maxAttempts: 1 });
    tampering.middlewareStack.add((next) => async (args) => {
      const request = args.request as { path: string };
      request.path = request.path.replace(/\/0$/, '/1');
      return next(args);
    }, { step: 'finalizeRequest', priority: 'low', name: 'changeKeyAfterSigning' });

    try {
      const refused = await wrongSecret.send(new GetObjectCommand({ Bucket: BUCKET, Key: `blobs/${id}/0` })).catch((e: unknown) => e);
      const moved = await tampering.send(new PutObjectCommand({ Bucket: BUCKET, Key: `blobs/${id}/0`, Body: new Uint8Array(3) })).catch((e: unknown) => e);

      expect(refused).toMatchObject({ name: 'SignatureDoesNotMatch', $metadata: { httpStatusCode: 403 } });
      expect(moved).toMatchObject({ name: 'SignatureDoesNotMatch', $metadata: { httpStatusCode: 403 } });
      expect(await store.read(id, 1)).toBeUndefined();
    } finally {
      wrongSecret.destroy();
      tampering.destroy();
    }
  });
});

describe('the stand-in\'s presigned-URL verifier', () => {
  const SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
  const credentials = { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: SECRET, sessionToken: 'session/token+with=odd chars' };
  const endpoint = 'http://127.0.0.1:9000';
  const now = new Date();
  const awsClient = new S3Client({ region: 'eu-central-1', endpoint, credentials, forcePathStyle: true, requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED' });

  /** The request a browser would make with `url`: its path and query as sent, and its Host. */
  const requestOf = (url: string, method = 'GET', headers: Record<string, string> = {}) => {
    const parsed = new URL(url);
    return { method, url: `${parsed.pathname}${parsed.search}`, headers: { host: parsed.host, ...headers } };
  };

  /** Every alphanumeric character of the path and query changed, one at a time, into another. */
  function oneCharacterChanges(pathAndQuery: string): { at: number; changed: string }[] {
    const out: { at: number; changed: string }[] = [];
    for (let at = 0; at < pathAndQuery.length; at++) {
      const c = pathAndQuery[at] as string;
      if (!/[A-Za-z0-9]/.test(c)) continue;
      const replacement = c === 'z' ? 'a' : c === 'Z' ? 'A' : c === '9' ? '0' : String.fromCharCode(c.charCodeAt(0) + 1);
      out.push({ at, changed: pathAndQuery.slice(0, at) + replacement + pathAndQuery.slice(at + 1) });
    }
    return out;
  }

  const presignedBy = {
    'the SDK (getSignedUrl, GetObject)': async () => ({
      request: requestOf(await getSignedUrl(awsClient, new GetObjectCommand({ Bucket: BUCKET, Key: 'blobs/abc/0' }), { expiresIn: 900, signingDate: now })),
    }),
    'the SDK (getSignedUrl, PutObject with signed headers)': async () => {
      const headers = { 'content-length': '5', 'x-amz-checksum-sha256': sha256(new Uint8Array(5)), 'x-amz-tagging': 'sealpost-state=pending' };
      const url = await getSignedUrl(awsClient, new PutObjectCommand({ Bucket: BUCKET, Key: 'blobs/abc/1', ContentLength: 5, ChecksumSHA256: headers['x-amz-checksum-sha256'], Tagging: headers['x-amz-tagging'] }), {
        expiresIn: 900, signingDate: now, unhoistableHeaders: new Set(['x-amz-checksum-sha256', 'x-amz-tagging']), signableHeaders: new Set(['content-length']),
      });
      return { request: requestOf(url, 'PUT', headers) };
    },
    'the SDK (S3RequestPresigner, a bare request)': async () => {
      const presigner = new S3RequestPresigner({ ...awsClient.config, credentials, region: 'eu-central-1' });
      const signed = await presigner.presign({ method: 'GET', protocol: 'http:', hostname: '127.0.0.1', port: 9000, path: `/${BUCKET}/blobs/abc/2`, query: {}, headers: { host: '127.0.0.1:9000' } }, { expiresIn: 900, signingDate: now });
      const query = new URLSearchParams(signed.query as Record<string, string>).toString().replace(/\+/g, '%20');
      return { request: requestOf(`${endpoint}${signed.path}?${query}`) };
    },
    'our presignGet (the portal\'s downloads)': async () => ({
      request: requestOf(presignGet({ endpoint, region: 'eu-central-1', bucket: BUCKET, key: 'blobs/abc/3', credentials, expiresInSeconds: 900, now })),
    }),
  };

  it.each(Object.keys(presignedBy))('accepts a URL presigned by %s', async (who) => {
    const { request } = await presignedBy[who as keyof typeof presignedBy]();

    expect(presignedRequestProblem(request, SECRET, now)).toBeUndefined();
  });

  it.each(Object.keys(presignedBy))('refuses a URL presigned by %s when one character of its path, query or signature changes', async (who) => {
    const { request } = await presignedBy[who as keyof typeof presignedBy]();
    const changes = oneCharacterChanges(request.url);
    expect(changes.length).toBeGreaterThan(200);

    const accepted = changes.filter(({ changed }) => presignedRequestProblem({ ...request, url: changed }, SECRET, now) === undefined);

    expect(accepted.map(({ at }) => `${request.url.slice(Math.max(0, at - 10), at)}[${request.url[at]}]${request.url.slice(at + 1, at + 10)}`)).toEqual([]);
    expect(presignedRequestProblem({ ...request, headers: { ...request.headers, host: '127.0.0.1:9001' } }, SECRET, now)).toMatch(/signature/);
    expect(presignedRequestProblem(request, `${SECRET}x`, now)).toMatch(/signature/);
  });

  it.each([
    ['with a session token (Lambda\'s credentials)', credentials, 'eu-central-1', 'blobs/AbC-_09xyzAbC-_09xyzAb/0'],
    ['without a session token', { accessKeyId: 'AKID', secretAccessKey: 'local' }, 'us-east-1', 'blobs/m/12'],
    ['with characters SigV4 encodes in the token and key', { ...credentials, sessionToken: 'a+b/c=d e!\'()*~' }, 'ap-southeast-2', 'blobs/x\'y(1)/0'],
  ])('presignGet signs byte for byte what AWS\'s own presigner signs, %s', async (_case, creds, region, key) => {
    const signingDate = new Date('2026-11-29T12:34:56.789Z');
    const presigner = new S3RequestPresigner({ ...awsClient.config, credentials: creds, region });
    // The request the S3 client would presign for GetObject (its path RFC 3986-encoded), with the
    // payload hash left as a header neither hoisted nor signed, as presignGet leaves it out.
    const path = `/${BUCKET}/${key.split('/').map(rfc3986).join('/')}`;
    const keep = new Set(['x-amz-content-sha256']);
    const aws = await presigner.presign(
      { method: 'GET', protocol: 'http:', hostname: '127.0.0.1', port: 9000, path, query: {}, headers: { host: '127.0.0.1:9000' } },
      { expiresIn: 900, signingDate, unhoistableHeaders: keep, unsignableHeaders: new Set(keep) },
    );

    const ours = new URL(presignGet({ endpoint, region, bucket: BUCKET, key, credentials: creds, expiresInSeconds: 900, now: signingDate }));

    expect(ours.pathname).toBe(aws.path);
    expect(Object.fromEntries(ours.searchParams)).toEqual(aws.query);
    expect(presignedRequestProblem(requestOf(ours.href), creds.secretAccessKey, signingDate)).toBeUndefined();
  });

  it('refuses a URL after its expiry, and accepts it up to then', async () => {
    const { request } = await presignedBy['our presignGet (the portal\'s downloads)']();

    expect(presignedRequestProblem(request, SECRET, new Date(now.getTime() + 899_000))).toBeUndefined();
    expect(presignedRequestProblem(request, SECRET, new Date(now.getTime() + 901_000))).toBe('Request has expired');
  });
});
