/**
 * The SDK's client against the API it claims to cover: every operation of /v1/openapi.json tagged
 * Messages, Uploads or Events (and getSettings) has a method; each method, run against the app,
 * calls its operation and gets an answer its OpenAPI response schema (the zod components) accepts.
 * Then the retries: what is retried, with which Idempotency-Key, after how long, and what never is.
 */
import { describe, expect, it } from 'vitest';
import { OpenPgpSealer } from '../helpers/openpgp-sealer.ts';
import { SubsetSealer, deriveMessageKey } from '../../functions/core/protocol/index.ts';
import { COMPONENT_SCHEMAS, OPERATIONS, type SchemaName } from '../../functions/http/openapi.ts';
import { SealpostClient, SealpostError, sendSealed } from '../../functions/sdk/index.ts';
import { buildTestApp } from '../helpers/builders.ts';
import { declarationOf, partsOf, sealFor, plan, withSecrets } from '../helpers/sealed-uploads.ts';

/** The sealer the SDK package ships (entries/sdk.ts): the protocol's own. */
const productSealer = () => new SubsetSealer((n) => crypto.getRandomValues(new Uint8Array(n)));

type World = Awaited<ReturnType<typeof buildTestApp>>;
type Json = Record<string, unknown>;
const ORIGIN = 'https://sealpost.test';

/** The client method of each operation it covers. */
const METHOD_OF: Readonly<Record<string, keyof SealpostClient>> = {
  sendMessage: 'send', listMessages: 'list', getMessage: 'status', changeMessageExpiry: 'changeExpiry', revokeMessage: 'revoke',
  openUpload: 'openUpload', getPartUploadUrls: 'partUrls', completeUpload: 'completeUpload', abandonUpload: 'abandonUpload',
  listEvents: 'events', getSettings: 'settings',
};

interface Exchange { method: string; path: string; query: string[]; status: number; requestBody?: unknown; responseBody?: unknown; idempotencyKey?: string | null }

/**
 * A fetch that answers from the app (app.request), recording every exchange; `memory://` part URLs
 * of the in-memory blob store are put into it, as S3 would store a presigned PUT.
 */
function appFetch(world: World, exchanges: Exchange[] = []): typeof fetch {
  return async (input, init) => {
    const url = new URL(String(input));
    const method = init?.method ?? 'GET';
    if (url.protocol === 'memory:') {
      const [, id, index] = /^memory:\/\/blobs\/([^/]+)\/(\d+)$/.exec(url.href) ?? [];
      world.blobs.put(id as string, Number(index), new Uint8Array(init?.body as Uint8Array));
      return new Response(null, { status: 200 });
    }
    const response = await world.app.request(`${url.pathname}${url.search}`, init as RequestInit);
    const text = await response.clone().text();
    exchanges.push({
      method, path: url.pathname, query: [...url.searchParams.keys()], status: response.status, idempotencyKey: new Headers(init?.headers).get('Idempotency-Key'),
      ...(typeof init?.body === 'string' ? { requestBody: JSON.parse(init.body) } : {}),
      ...(text ? { responseBody: JSON.parse(text) } : {}),
    });
    return response;
  };
}

const clientOf = (world: World, options: { apiKey?: string; fetch?: typeof fetch; sleep?: (ms: number) => Promise<void>; maxAttempts?: number } = {}) =>
  new SealpostClient({ url: ORIGIN, apiKey: options.apiKey ?? (world.keys.acme as string), fetch: options.fetch ?? appFetch(world), sleep: options.sleep ?? (async () => undefined), ...(options.maxAttempts ? { maxAttempts: options.maxAttempts } : {}) });

async function openApi(world: World): Promise<Json> {
  return await (await world.app.request('/v1/openapi.json')).json() as Json;
}

/** The document's operation for a request, by method and path template. */
function operationFor(doc: Json, method: string, path: string): { template: string; op: Json } | undefined {
  for (const [template, item] of Object.entries(doc.paths as Record<string, Record<string, Json>>)) {
    const pattern = new RegExp(`^${template.replace(/\{\w+\}/g, '[^/]+')}$`);
    if (pattern.test(path) && item[method.toLowerCase()]) return { template, op: item[method.toLowerCase()] as Json };
  }
  return undefined;
}

const componentOf = (ref: unknown): SchemaName => String(ref).replace('#/components/schemas/', '') as SchemaName;

describe('SealpostClient against /v1/openapi.json', () => {
  it('has a method for every operation tagged Messages, Uploads or Events, and for getSettings', async () => {
    const world = await buildTestApp();
    const doc = await openApi(world);

    const covered = Object.values(doc.paths as Record<string, Record<string, Json>>).flatMap((item) => Object.values(item))
      .filter((op) => (op.tags as string[]).some((t) => ['Messages', 'Uploads', 'Events'].includes(t)) || op.operationId === 'getSettings')
      .map((op) => op.operationId as string);

    expect(covered.sort()).toEqual(Object.keys(METHOD_OF).sort());
    for (const method of Object.values(METHOD_OF)) expect(typeof SealpostClient.prototype[method]).toBe('function');
  });

  it('calls each operation as documented and gets answers its response schemas accept', async () => {
    const world = await buildTestApp();
    const doc = await openApi(world);
    const exchanges: Exchange[] = [];
    const client = clientOf(world, { fetch: appFetch(world, exchanges) });
    const admin = clientOf(world, { apiKey: world.adminKeys.acme, fetch: appFetch(world, exchanges) });

    await admin.settings();
    const sent = await client.send({ to: ['alice@example.com', { email: 'bob@example.com', name: 'Bob' }], subject: 'Lab results', text: 'Ready.', attachments: [{ filename: 'a.txt', contentType: 'text/plain', content: new TextEncoder().encode('hello') }] });
    await client.status(sent.id);
    await client.list({ limit: 5 });
    await client.changeExpiry(sent.id, { expiresInDays: 3 });
    const notified = await client.events({ type: 'notified', limit: 1 });
    expect(notified.events.map((e) => e.type)).toEqual(['notified']);
    expect(notified.hasMore).toBe(true);
    const planned = await plan(['carol@example.com']);
    const upload = await client.openUpload(1);
    const ciphertext = await sealFor(planned.map((r) => r.key));
    const { declaration, parts } = await declarationOf(ciphertext);
    const urls = await client.partUrls(upload.id, declaration, parts);
    for (const [index, bytes] of partsOf(ciphertext).entries()) await client.putPart(urls[index]!, bytes);
    await client.completeUpload(upload.id, { recipients: withSecrets(planned) });
    await client.abandonUpload((await client.openUpload(2)).id);
    await client.revoke(sent.id);

    const called = new Set<string>();
    for (const exchange of exchanges) {
      const found = operationFor(doc, exchange.method, exchange.path);
      expect(found, `${exchange.method} ${exchange.path}`).toBeDefined();
      const { op } = found!;
      called.add(op.operationId as string);
      const responses = op.responses as Record<string, { content?: Record<string, { schema?: { $ref?: string } }> }>;
      expect(Object.keys(responses), `${op.operationId as string} answered ${exchange.status}`).toContain(String(exchange.status));
      expect(exchange.status).toBeLessThan(300);
      const ref = responses[String(exchange.status)]?.content?.['application/json']?.schema?.$ref;
      if (ref) COMPONENT_SCHEMAS[componentOf(ref)].parse(exchange.responseBody);
      else expect(exchange.responseBody, `${op.operationId as string} documents no body`).toBeUndefined();
      const documented = ((op.parameters ?? []) as { name: string; in: string }[]).filter((p) => p.in === 'query').map((p) => p.name);
      for (const name of exchange.query) expect(documented, `${op.operationId as string} ?${name}`).toContain(name);
      const requestRef = ((op.requestBody as Json | undefined)?.content as Record<string, { schema: { $ref: string } }> | undefined)?.['application/json']?.schema.$ref;
      if (requestRef) COMPONENT_SCHEMAS[componentOf(requestRef)].parse(exchange.requestBody);
    }
    expect([...called].sort()).toEqual(Object.keys(METHOD_OF).sort());
    expect(world.deps.notifier.sent.map((n) => n.to.email)).toEqual(['alice@example.com', 'bob@example.com', 'carol@example.com']);
  });

  it('sends idempotent POSTs with an Idempotency-Key, and openUpload and partUrls without one', async () => {
    const world = await buildTestApp();
    const exchanges: Exchange[] = [];
    const client = clientOf(world, { fetch: appFetch(world, exchanges) });

    await client.send({ to: ['alice@example.com'], subject: 'Hi', text: 'x' });
    await client.send({ to: ['alice@example.com'], subject: 'Hi', text: 'x' }, { idempotencyKey: 'mine-1' });
    const upload = await client.openUpload(1);
    const { declaration, parts } = await declarationOf(await sealFor(['k'.repeat(43)]));
    await client.partUrls(upload.id, declaration, parts);

    expect(exchanges.map((e) => e.idempotencyKey)).toEqual([expect.stringMatching(/^sdk-[A-Za-z0-9_-]{24}$/), 'mine-1', null, null]);
    expect(OPERATIONS.filter((op) => op.headers?.['Idempotency-Key']).map((op) => op.operationId).sort()).toEqual(['completeUpload', 'sendMessage']);
  });

  it('seals and sends through the upload API with sendSealed, and links it delivers itself open the message', async () => {
    const world = await buildTestApp();
    const client = clientOf(world);
    const sealer = productSealer();

    const { receipt, links } = await sendSealed(client, { to: ['alice@example.com'], subject: 'Scan', text: 'See attached.', attachments: [{ filename: 'scan.bin', contentType: 'application/octet-stream', content: new Uint8Array(5 * 1024 * 1024).fill(7) }] }, { sealer, deliverLinksMyself: true });

    expect(receipt.recipients).toEqual([{ email: 'alice@example.com', status: 'sender' }]);
    expect(world.deps.notifier.sent).toEqual([]);
    const secret = links?.[0]?.link.split('#')[1] as string;
    expect(links?.[0]?.link).toBe(`https://portal.test/m/${receipt.id}#${secret}`);
    const head = world.deps.store.heads.get(receipt.id);
    const ciphertext = Buffer.concat(head!.blob!.parts.map((_, i) => world.blobs.objects.get(`${receipt.id}/${i}`)!.bytes));
    const mime = new TextDecoder().decode(await new OpenPgpSealer().open(ciphertext, await deriveMessageKey(secret)));
    expect(mime).toContain('Subject: Scan');
  });
});

describe('sendSealed when every answer of the completion is lost', () => {
  /** Completions reach sealpost (`reach`) or not, and no answer comes back. */
  function losingCompletions(world: World, reach: boolean): typeof fetch {
    const passThrough = appFetch(world);
    return async (input, init) => {
      if (!String(input).endsWith('/complete')) return passThrough(input, init);
      if (reach) await passThrough(input, init);
      throw new TypeError('fetch failed');
    };
  }
  const message = { to: ['alice@example.com'], subject: 'Hi', text: 'x' };

  it('names the message that may have gone out when the completion reached sealpost', async () => {
    const world = await buildTestApp();
    const client = clientOf(world, { fetch: losingCompletions(world, true) });

    const error = await sendSealed(client, message, { sealer: productSealer() }).catch((e: unknown) => e) as SealpostError;

    expect(error).toMatchObject({ kind: 'transient' });
    const [id] = [...world.deps.store.heads.keys()];
    expect(error.maybeSentAs).toBe(id);
    expect(error.message).toMatch(new RegExp(`The message may have been sent all the same, as ${id}\\.$`));
    expect(world.deps.notifier.sent).toHaveLength(1);
  });

  it('abandons the upload, and names no message, when no completion reached sealpost', async () => {
    const world = await buildTestApp();
    const client = clientOf(world, { fetch: losingCompletions(world, false) });

    const error = await sendSealed(client, message, { sealer: productSealer() }).catch((e: unknown) => e) as SealpostError;

    expect(error).toMatchObject({ kind: 'transient' });
    expect(error.maybeSentAs).toBeUndefined();
    expect(world.uploads.uploads.size).toBe(0);
    expect(world.blobs.objects.size).toBe(0);
    expect(world.deps.notifier.sent).toEqual([]);
  });
});

describe('sendSealed when no notification could be sent', () => {
  it('reports sealpost\'s own account (the message was discarded) instead of retrying a spent upload', async () => {
    const world = await buildTestApp();
    world.deps.notifier.reject.add('alice@example.com');
    const exchanges: Exchange[] = [];
    const client = clientOf(world, { fetch: appFetch(world, exchanges) });

    const error = await sendSealed(client, { to: ['alice@example.com'], subject: 'Hi', text: 'x' }, { sealer: productSealer() }).catch((e: unknown) => e) as SealpostError;

    expect(error).toMatchObject({ kind: 'transient', status: 502 });
    expect(error.message).toMatch(/^No notification was confirmed by the email service, so the message was discarded/);
    expect(error.maybeSentAs).toBeUndefined();
    expect(exchanges.filter((e) => e.path.endsWith('/complete')).map((e) => e.status)).toEqual([502]);
  });
});

describe('SealpostClient retries', () => {
  /** Answers with `scripted` responses first, then from the app; records each request's Idempotency-Key. */
  function scripted(world: World, answers: ((input: Parameters<typeof fetch>[0], init?: RequestInit) => Response | Promise<Response>)[]) {
    const seen: { method: string; path: string; idempotencyKey: string | null }[] = [];
    const passThrough = appFetch(world);
    const fetchImpl: typeof fetch = async (input, init) => {
      seen.push({ method: init?.method ?? 'GET', path: new URL(String(input)).pathname, idempotencyKey: new Headers(init?.headers).get('Idempotency-Key') });
      const next = answers.shift();
      return next ? next(input, init) : passThrough(input, init);
    };
    const waits: number[] = [];
    const sleep = async (ms: number) => { waits.push(ms); };
    return { seen, waits, fetchImpl, sleep };
  }
  const problem = (status: number, headers: Record<string, string> = {}) => () =>
    new Response(JSON.stringify({ type: 'urn:sealpost:problem:x', title: 'x', status, detail: `scripted ${status}`, requestId: 'r' }), { status, headers: { 'Content-Type': 'application/problem+json', ...headers } });

  it('retries a send answered 503 with the same Idempotency-Key, and sends once', async () => {
    const world = await buildTestApp();
    const s = scripted(world, [problem(503)]);
    const client = clientOf(world, { fetch: s.fetchImpl, sleep: s.sleep });

    const receipt = await client.send({ to: ['alice@example.com'], subject: 'Hi', text: 'x' });

    expect(receipt.recipients).toEqual([{ email: 'alice@example.com', status: 'notified' }]);
    expect(s.seen).toHaveLength(2);
    expect(s.seen[0]?.idempotencyKey).toMatch(/^sdk-/);
    expect(s.seen[1]?.idempotencyKey).toBe(s.seen[0]?.idempotencyKey);
    expect(s.waits).toHaveLength(1);
    expect(s.waits[0]).toBeGreaterThanOrEqual(500);
    expect(s.waits[0]).toBeLessThan(750);
    expect(world.deps.notifier.sent).toHaveLength(1);
  });

  it('retries a completion whose answer was lost with the same key, and gets the first receipt', async () => {
    const world = await buildTestApp();
    const planned = await plan(['alice@example.com']);
    const setup = clientOf(world);
    const upload = await setup.openUpload(1);
    const ciphertext = await sealFor(planned.map((r) => r.key));
    const { declaration, parts } = await declarationOf(ciphertext);
    const [url] = await setup.partUrls(upload.id, declaration, parts);
    await setup.putPart(url!, ciphertext);
    // The first completion reaches sealpost and sends, but its answer is lost on the way back.
    const passThrough = appFetch(world);
    const s = scripted(world, [async (input, init) => {
      await passThrough(input, init);
      throw new TypeError('fetch failed');
    }]);
    const client = clientOf(world, { fetch: s.fetchImpl, sleep: s.sleep });

    const receipt = await client.completeUpload(upload.id, { recipients: withSecrets(planned) });

    expect(s.seen.map((r) => r.idempotencyKey)).toEqual([s.seen[0]?.idempotencyKey, s.seen[0]?.idempotencyKey]);
    expect(receipt.id).toBe(upload.id);
    expect(world.deps.notifier.sent).toHaveLength(1);
  });

  it('does not retry a 422: the same request would be refused again', async () => {
    const world = await buildTestApp();
    const s = scripted(world, [problem(422), problem(422)]);
    const client = clientOf(world, { fetch: s.fetchImpl, sleep: s.sleep });

    const error = await client.send({ to: ['alice@example.com'], subject: 'Hi', text: 'x' }).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(SealpostError);
    expect(error).toMatchObject({ kind: 'refused', status: 422, message: 'scripted 422' });
    expect(s.seen).toHaveLength(1);
    expect(s.waits).toEqual([]);
  });

  it('waits as long as Retry-After says (at most 30 s), also for a 409 of a request still in flight', async () => {
    const world = await buildTestApp();
    const s = scripted(world, [problem(429, { 'Retry-After': '7' }), problem(409, { 'Retry-After': '2' }), problem(503, { 'Retry-After': '120' })]);
    const client = clientOf(world, { fetch: s.fetchImpl, sleep: s.sleep });

    await client.send({ to: ['alice@example.com'], subject: 'Hi', text: 'x' });

    expect(s.waits).toEqual([7000, 2000, 30000]);
    expect(new Set(s.seen.map((r) => r.idempotencyKey)).size).toBe(1);
  });

  it('gives up after maxAttempts with a transient error', async () => {
    const world = await buildTestApp();
    const s = scripted(world, Array.from({ length: 10 }, () => problem(503)));
    const client = clientOf(world, { fetch: s.fetchImpl, sleep: s.sleep, maxAttempts: 3 });

    const error = await client.status('abc').catch((e: unknown) => e);

    expect(error).toMatchObject({ kind: 'transient', status: 503 });
    expect(s.seen).toHaveLength(3);
    expect(s.waits).toHaveLength(2);
  });

  it('retries GETs after a network failure', async () => {
    const world = await buildTestApp();
    const s = scripted(world, [() => { throw new TypeError('fetch failed'); }]);
    const client = clientOf(world, { fetch: s.fetchImpl, sleep: s.sleep });

    const page = await client.events();

    expect(page.events).toEqual([]);
    expect(s.seen.map((r) => r.method)).toEqual(['GET', 'GET']);
  });

  describe('putPart', () => {
    const s3Error = (status: number, code: string) => () => new Response(`<?xml version="1.0"?><Error><Code>${code}</Code><Message>m</Message></Error>`, { status, headers: { 'Content-Type': 'application/xml' } });
    const part = { url: 'http://s3.test/bucket/blobs/m/0?X-Amz-Signature=s', headers: { 'if-none-match': '*', 'content-type': 'application/octet-stream' } };

    it('takes a 412 (the part is there already: its URL writes a key once) as done, without retrying', async () => {
      const world = await buildTestApp();
      const s = scripted(world, [s3Error(412, 'PreconditionFailed')]);
      const client = clientOf(world, { fetch: s.fetchImpl, sleep: s.sleep });

      await expect(client.putPart(part, new Uint8Array(3))).resolves.toBeUndefined();

      expect(s.seen).toHaveLength(1);
      expect(s.waits).toEqual([]);
    });

    it('retries a 409 (a concurrent write of the part in progress), and is done at the 412 that follows', async () => {
      const world = await buildTestApp();
      const s = scripted(world, [s3Error(409, 'ConditionalRequestConflict'), s3Error(412, 'PreconditionFailed')]);
      const client = clientOf(world, { fetch: s.fetchImpl, sleep: s.sleep });

      await expect(client.putPart(part, new Uint8Array(3))).resolves.toBeUndefined();

      expect(s.seen).toHaveLength(2);
    });

    it('still refuses any other 4xx, without retrying', async () => {
      const world = await buildTestApp();
      const s = scripted(world, [s3Error(403, 'SignatureDoesNotMatch')]);
      const client = clientOf(world, { fetch: s.fetchImpl, sleep: s.sleep });

      await expect(client.putPart(part, new Uint8Array(3))).rejects.toMatchObject({ kind: 'refused', status: 403, message: expect.stringContaining('SignatureDoesNotMatch') });
      expect(s.seen).toHaveLength(1);
    });
  });

  it('never retries openUpload, a POST without an Idempotency-Key (a retry would open a second upload)', async () => {
    const world = await buildTestApp();
    for (const failure of [problem(503), problem(429, { 'Retry-After': '1' }), () => { throw new TypeError('fetch failed'); }]) {
      const s = scripted(world, [failure]);
      const client = clientOf(world, { fetch: s.fetchImpl, sleep: s.sleep });

      const error = await client.openUpload(1).catch((e: unknown) => e);

      expect(error).toMatchObject({ kind: 'transient' });
      expect(s.seen).toEqual([{ method: 'POST', path: '/v1/uploads', idempotencyKey: null }]);
      expect(s.waits).toEqual([]);
    }
    expect(world.uploads.uploads.size).toBe(0);
  });
});
