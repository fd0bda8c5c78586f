/**
 * The OpenAPI document against everything it claims to describe: its own shape, the routes the app
 * registers (and the Allow headers of their 405 answers), real responses, the curl
 * examples of the README and docs/, and the reference page rendered from it.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { isDeepStrictEqual } from 'node:util';
import { inspectRoutes } from 'hono/dev';
import { describe, expect, it } from 'vitest';
import { COMPONENT_SCHEMAS, OPERATIONS, problemStatuses, type OperationSpec } from '../../functions/http/openapi.ts';
import { OPERATION_EXAMPLES, curlSample, type OperationExample } from '../../functions/http/openapi-examples.ts';
import { deriveAccessToken, deriveLinkToken } from '../../functions/core/protocol/index.ts';
import { aSendRequest, aTenant, buildTestApp, parseLink, sendJson } from '../helpers/builders.ts';

type Json = Record<string, unknown>;
type App = Awaited<ReturnType<typeof buildTestApp>>['app'];

/** The README and every page of docs/: their curl examples must match the document. */
const DOCS_WITH_EXAMPLES = ['README.md', ...readdirSync(new URL('../../docs/', import.meta.url)).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)]
  .map((file) => readFileSync(new URL(`../../${file}`, import.meta.url), 'utf8')).join('\n');
const PACKAGE_VERSION = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

async function fetchDocument(app: App): Promise<Json> {
  const response = await app.request('/v1/openapi.json');
  expect(response.status).toBe(200);
  return await response.json() as Json;
}

function operationsOf(doc: Json): { path: string; method: string; op: Json }[] {
  return Object.entries(doc.paths as Record<string, Json>)
    .flatMap(([path, item]) => Object.entries(item).filter(([m]) => HTTP_METHODS.includes(m)).map(([method, op]) => ({ path, method, op: op as Json })));
}

/** Hono's "/m/:id" as OpenAPI's "/m/{id}"; "/admin/" and "/admin" are one address. */
function openApiPath(honoPath: string): string {
  const path = honoPath.replace(/:(\w+)(\{[^}]*\})?/g, '{$1}');
  return path.length > 1 ? path.replace(/\/$/, '') : path;
}

/**
 * The app's routes, from Hono's own registry. Middleware (app.use: a handler that takes `next`)
 * is not an operation; neither is a handler for method ALL, which here is always the 405 answer of
 * a known address.
 */
function registeredRoutes(app: App) {
  const handlers = inspectRoutes(app).filter((r) => !r.isMiddleware);
  return {
    operations: new Set(handlers.filter((r) => r.method !== 'ALL').map((r) => `${r.method} ${openApiPath(r.path)}`)),
    catchAlls: [...new Set(handlers.filter((r) => r.method === 'ALL').map((r) => openApiPath(r.path)))],
  };
}

function resolvePointer(doc: Json, ref: string): unknown {
  if (!ref.startsWith('#/')) return undefined;
  return ref.slice(2).split('/').map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce<unknown>((node, key) => (node !== null && typeof node === 'object' ? (node as Json)[key] : undefined), doc);
}

function collectRefs(node: unknown, out: string[] = []): string[] {
  if (Array.isArray(node)) node.forEach((n) => collectRefs(n, out));
  else if (node !== null && typeof node === 'object') {
    for (const [key, value] of Object.entries(node)) {
      if (key === '$ref' && typeof value === 'string') out.push(value);
      else collectRefs(value, out);
    }
  }
  return out;
}

function findOperation(method: string, path: string): OperationSpec | undefined {
  const candidates = OPERATIONS.filter((op) => op.method === method.toLowerCase()
    && new RegExp(`^${op.path.replace(/[.]/g, '\\.').replace(/\{\w+\}/g, '[^/]+')}$`).test(path));
  // A literal segment beats a parameter: /v1/docs.css is not /v1/docs/{x}.
  return candidates.sort((a, b) => (a.path.match(/\{/g)?.length ?? 0) - (b.path.match(/\{/g)?.length ?? 0))[0];
}

// ---- curl examples of the README and docs/ ----

interface Word { readonly text: string; readonly operator: boolean }

/**
 * Splits shell text into words, honouring quotes (which may span lines), backslashes, line
 * continuations and comments; an unquoted newline, |, ||, &&, ; or > is an operator.
 */
function shellWords(text: string): Word[] {
  const words: Word[] = [];
  let current = '';
  let started = false;
  const flush = () => { if (started) words.push({ text: current, operator: false }); current = ''; started = false; };
  for (let i = 0; i < text.length; i++) {
    const ch = text[i] as string;
    if (ch === "'") {
      const end = text.indexOf("'", i + 1);
      if (end < 0) throw new Error(`unterminated ' in: ${text}`);
      current += text.slice(i + 1, end); started = true; i = end;
    } else if (ch === '"') {
      let j = i + 1;
      for (; j < text.length && text[j] !== '"'; j++) {
        if (text[j] === '\\' && /["\\$`]/.test(text[j + 1] ?? '')) j++;
        current += text[j];
      }
      if (j >= text.length) throw new Error(`unterminated " in: ${text}`);
      started = true; i = j;
    } else if (ch === '\\') {
      if (text[i + 1] !== '\n') { current += text[i + 1] ?? ''; started = true; }
      i++;
    } else if (ch === '#' && !started) {
      while (i + 1 < text.length && text[i + 1] !== '\n') i++;
    } else if (ch === '\n' || ch === '|' || ch === ';' || ch === '>' || (ch === '&' && text[i + 1] === '&')) {
      flush();
      if (ch === '&' || (ch === '|' && text[i + 1] === '|')) i++;
      words.push({ text: ch, operator: true });
    } else if (/\s/.test(ch)) {
      flush();
    } else {
      current += ch; started = true;
    }
  }
  flush();
  return words;
}

interface CurlCall { readonly source: string; readonly method: string; readonly path: string; readonly query: URLSearchParams; readonly headers: Map<string, string>; readonly data?: string }

const OPTIONS_WITH_VALUE = new Set(['-X', '--request', '-H', '--header', '-d', '--data', '--data-raw', '--data-binary', '-o', '--output', '-w', '--write-out', '-u', '--user']);

function parseCurl(words: readonly string[], source: string): CurlCall {
  let method: string | undefined;
  let url: string | undefined;
  let data: string | undefined;
  const headers = new Map<string, string>();
  for (let i = 0; i < words.length; i++) {
    const word = words[i] as string;
    if (OPTIONS_WITH_VALUE.has(word)) {
      const value = words[++i] ?? '';
      if (word === '-X' || word === '--request') method = value;
      else if (word === '-H' || word === '--header') {
        const colon = value.indexOf(':');
        headers.set(value.slice(0, colon).trim().toLowerCase(), value.slice(colon + 1).trim());
      } else if (word.startsWith('-d') || word.startsWith('--data')) data = value;
    } else if (word.startsWith('-')) {
      continue; // a flag such as -sS or -i
    } else if (url === undefined) {
      url = word;
    }
  }
  if (url === undefined) throw new Error(`no URL in: ${source}`);
  // http://localhost:3000/v1/…, https://<PortalOrigin>/v1/…, or "$SEALPOST/v1/…".
  const rest = url.replace(/^https?:\/\/[^/]*/, '').replace(/^\$\{?\w+\}?/, '');
  const [path = '', query = ''] = rest.split('?');
  return { source, method: method ?? (data !== undefined ? 'POST' : 'GET'), path: path || '/', query: new URLSearchParams(query), headers, ...(data !== undefined ? { data } : {}) };
}

/** Every curl command in the ```sh and ```bash blocks of a text. */
function curlCalls(markdown: string): CurlCall[] {
  const calls: CurlCall[] = [];
  for (const [, block] of markdown.matchAll(/```(?:sh|bash)\n([\s\S]*?)```/g)) {
    const words = shellWords(block as string);
    words.forEach((word, start) => {
      // "curl …", or "ID=$(curl …" where an answer is kept in a variable.
      if (word.operator || !/^(?:[A-Za-z_]\w*=\$\()?curl$/.test(word.text)) return;
      const end = words.findIndex((w, i) => i > start && w.operator);
      const command = words.slice(start + 1, end < 0 ? undefined : end).map((w) => w.text);
      calls.push(parseCurl(command, `curl ${command.join(' ')}`.replace(/\s+/g, ' ').slice(0, 200)));
    });
  }
  return calls;
}

const isShellVariable = (value: string) => /^\$\{?\w+\}?$/.test(value);

/** What is wrong with one documented call against the document (nothing, when it matches). */
function curlProblems(call: CurlCall): string[] {
  const op = findOperation(call.method, call.path);
  if (!op) return [`${call.method} ${call.path} is not documented`];
  const problems: string[] = [];
  if ((op.scope === 'send' || op.scope === 'admin') && !/^Bearer \S+$/.test(call.headers.get('authorization') ?? '')) problems.push('no API key');
  if (op.scope === 'session' && !/^__Host-sealpost_inbox=\S+/.test(call.headers.get('cookie') ?? '')) problems.push('no session cookie');
  for (const name of call.query.keys()) if (!op.query || !(name in op.query.schema.shape)) problems.push(`undocumented query parameter ${name}`);
  if (op.query) {
    const literal = Object.fromEntries([...call.query].filter(([, value]) => !isShellVariable(value)));
    try {
      op.query.parse(literal);
    } catch (error) {
      problems.push(`query refused: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  if (!op.body) return call.data === undefined ? problems : [...problems, 'a body the operation does not take'];
  const contentType = call.headers.get('content-type');
  if (!(op.body.contentTypes ?? ['application/json']).includes(contentType ?? '')) problems.push(`Content-Type ${contentType ?? '(none)'} is not accepted`);
  if (call.data === undefined) return [...problems, 'no body'];
  let body: unknown;
  try {
    body = JSON.parse(call.data);
  } catch {
    return [...problems, 'the body is not JSON'];
  }
  const parsed = COMPONENT_SCHEMAS[op.body.schema].safeParse(body);
  if (!parsed.success) problems.push(...parsed.error.issues.map((i) => `body ${i.path.join('/') || '(body)'}: ${i.message}`));
  return problems;
}

describe('the OpenAPI document', () => {
  it('has the shape of an OpenAPI 3.1 document, with unique operation ids and the package version', async () => {
    const { app } = await buildTestApp();

    const doc = await fetchDocument(app);

    expect(doc.openapi).toMatch(/^3\.1\.\d+$/);
    expect(doc.info).toMatchObject({ title: expect.any(String), version: PACKAGE_VERSION });
    expect(doc.servers).toEqual([{ url: '/' }]);
    const tagNames = (doc.tags as { name: string }[]).map((t) => t.name);
    const ids: string[] = [];
    for (const { path, method, op } of operationsOf(doc)) {
      const where = `${method.toUpperCase()} ${path}`;
      expect(path, where).toMatch(/^\//);
      expect(op.operationId, where).toMatch(/^[A-Za-z][A-Za-z0-9]*$/);
      ids.push(op.operationId as string);
      expect((op.tags as string[]).every((t) => tagNames.includes(t)), where).toBe(true);
      const responses = Object.entries(op.responses as Record<string, Json>);
      expect(responses.length, where).toBeGreaterThan(0);
      for (const [status, response] of responses) {
        expect(status, where).toMatch(/^([1-5]\d\d|default)$/);
        expect(response.description, `${where} ${status}`).toEqual(expect.any(String));
      }
      const pathParams = ((op.parameters ?? []) as Json[]).filter((p) => p.in === 'path').map((p) => p.name);
      expect(pathParams.sort(), where).toEqual([...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort());
      for (const p of (op.parameters ?? []) as Json[]) expect(['path', 'query', 'header', 'cookie'], where).toContain(p.in);
      for (const requirement of (op.security ?? []) as Json[]) {
        for (const scheme of Object.keys(requirement)) expect((doc.components as { securitySchemes: Json }).securitySchemes, where).toHaveProperty(scheme);
        expect(op['x-sealpost-scope'], where).toMatch(/^(send|admin|session)$/);
      }
    }
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('resolves every $ref inside the document', async () => {
    const { app } = await buildTestApp();
    const doc = await fetchDocument(app);

    const refs = collectRefs(doc);

    expect(refs.length).toBeGreaterThan(20);
    expect(refs.filter((ref) => resolvePointer(doc, ref) === undefined)).toEqual([]);
  });

  it('describes every route the app registers, and no operation the app does not have', async () => {
    const { app } = await buildTestApp();
    const doc = await fetchDocument(app);

    const { operations } = registeredRoutes(app);
    const documented = new Set(operationsOf(doc).map(({ path, method }) => `${method.toUpperCase()} ${path}`));

    expect([...operations].filter((r) => !documented.has(r)), 'registered but not documented').toEqual([]);
    expect([...documented].filter((r) => !operations.has(r)), 'documented but not registered').toEqual([]);
  });

  it('lists in the Allow header of every 405 answer exactly the methods documented for that address', async () => {
    const { app, adminKeys } = await buildTestApp();
    const doc = await fetchDocument(app);
    const { catchAlls } = registeredRoutes(app);

    expect(catchAlls.length).toBeGreaterThan(10);
    for (const path of catchAlls) {
      const documented = Object.keys((doc.paths as Record<string, Json>)[path] ?? {}).map((m) => m.toUpperCase()).sort();
      const response = await app.request(path.replace(/\{\w+\}/g, 'x'), { method: 'PUT', headers: { Authorization: `Bearer ${adminKeys.acme}` } });

      expect(response.status, path).toBe(405);
      expect(response.headers.get('Allow')?.split(', ').sort(), path).toEqual(documented);
    }
  });

  it('describes the real responses: each JSON body is exactly its documented schema, each status is documented', async () => {
    const { app, keys, adminKeys } = await buildTestApp();
    const call = (key: string | undefined, method: string, path: string, body?: unknown) => app.request(path, {
      method, headers: { ...(key ? { Authorization: `Bearer ${key}` } : {}), ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const check = async (method: string, path: string, response: Response) => {
      const op = findOperation(method, path.split('?')[0] as string);
      expect(op, `${method} ${path}`).toBeDefined();
      const spec = (op as OperationSpec).responses[response.status];
      if (response.status >= 400) {
        expect([...problemStatuses(op as OperationSpec).keys()], `${method} ${path}`).toContain(response.status);
        expect(response.headers.get('Content-Type')).toBe('application/problem+json');
        const body = await response.json();
        expect(COMPONENT_SCHEMAS.Problem.parse(body)).toEqual(body);
        return body as Json;
      }
      expect(spec, `${method} ${path} ${response.status}`).toBeDefined();
      if (!spec?.json) return undefined;
      const body = await response.json();
      expect(COMPONENT_SCHEMAS[spec.json].parse(body), `${method} ${path}`).toEqual(body);
      return body as Json;
    };
    const sent = await sendJson(app, keys.acme, aSendRequest({ maxViews: 2, replyTo: 'care@acme.example' }));
    const { id } = await check('POST', '/v1/messages', sent) as { id: string };
    const webhook = await check('POST', '/v1/admin/webhooks', await call(adminKeys.acme, 'POST', '/v1/admin/webhooks', { url: 'https://hooks.acme.example/in', events: ['*'] })) as { id: string };
    const key = await check('POST', '/v1/admin/keys', await call(adminKeys.acme, 'POST', '/v1/admin/keys', { scope: 'send' })) as { id: string };
    const steps: [string | undefined, string, string, unknown?][] = [
      [keys.acme, 'GET', '/v1/messages'], [keys.acme, 'GET', `/v1/messages/${id}`], [keys.acme, 'PATCH', `/v1/messages/${id}`, { expiresInDays: 20 }],
      [adminKeys.acme, 'GET', '/v1/admin/settings'], [adminKeys.acme, 'PATCH', '/v1/admin/settings', { messageCenter: true, brand: { primaryColor: '#1d4ed8' } }],
      [adminKeys.acme, 'GET', '/v1/admin/keys'], [adminKeys.acme, 'GET', '/v1/admin/webhooks'], [adminKeys.acme, 'GET', `/v1/admin/webhooks/${webhook.id}`],
      [adminKeys.acme, 'POST', `/v1/admin/webhooks/${webhook.id}/ping`], [adminKeys.acme, 'GET', `/v1/admin/webhooks/${webhook.id}/deliveries`],
      [keys.acme, 'DELETE', `/v1/messages/${id}`], [keys.acme, 'GET', '/v1/events'], [undefined, 'GET', '/healthz'],
      [adminKeys.acme, 'DELETE', `/v1/admin/keys/${key.id}`], [adminKeys.acme, 'DELETE', `/v1/admin/webhooks/${webhook.id}`],
      // Problems, each answered where the document says it can be.
      [undefined, 'GET', '/v1/messages'], [keys.acme, 'GET', '/v1/admin/keys'], [keys.acme, 'GET', '/v1/messages/AAAAAAAAAAAAAAAAAAAAAA'],
      [keys.acme, 'PATCH', `/v1/messages/${id}`, { expiresInDays: 5 }], [keys.acme, 'POST', '/v1/messages', { to: [] }],
      [adminKeys.acme, 'GET', '/v1/admin/webhooks/wh_AAAAAAAAAAAAAAAA/deliveries?limit=0'], [undefined, 'POST', `/m/${id}/open`, { token: 'x' }],
    ];
    const statuses: number[] = [];
    for (const [k, method, path, body] of steps) {
      const response = await call(k, method, path, body);
      statuses.push(response.status);
      await check(method, path, response);
    }

    expect(statuses).toEqual([200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 204, 200, 200, 204, 204, 401, 403, 404, 409, 422, 422, 404]);
  });
});

describe('the OpenAPI document and the recipient, inbox and recovery routes', () => {
  it('describes their real responses: each JSON body is exactly its documented schema, each status and problem kind is documented', async () => {
    const { app, deps, keys, adminKeys } = await buildTestApp({ tenants: [aTenant({ settings: { messageCenter: true } })] });
    const call = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
      const response = await app.request(path, {
        method, headers: { ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}), ...headers },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
      const op = findOperation(method, path);
      expect(op, `${method} ${path}`).toBeDefined();
      const problems = problemStatuses(op as OperationSpec);
      if (response.status >= 400) {
        expect([...problems.keys()], `${method} ${path}`).toContain(response.status);
        const problem = await response.json() as Json;
        expect(COMPONENT_SCHEMAS.Problem.parse(problem), `${method} ${path}`).toEqual(problem);
        // The kind is named where the document describes that status for this operation.
        const kind = String(problem.type).replace('urn:sealpost:problem:', '');
        expect(problems.get(response.status), `${method} ${path}: ${kind}`).toMatch(new RegExp(`\\b${kind}\\b`));
        return { status: response.status, body: problem, headers: response.headers };
      }
      const spec = (op as OperationSpec).responses[response.status];
      expect(spec, `${method} ${path} ${response.status}`).toBeDefined();
      // The headers sent every time (others, such as Sealpost-Grant, only in some cases).
      for (const name of Object.keys(spec?.headers ?? {}).filter((h) => ['Cache-Control', 'Location', 'Set-Cookie'].includes(h))) {
        expect(response.headers.has(name), `${method} ${path} ${name}`).toBe(true);
      }
      if (!spec?.json) return { status: response.status, headers: response.headers };
      const json = await response.json() as Json;
      expect(COMPONENT_SCHEMAS[spec.json].parse(json), `${method} ${path}`).toEqual(json);
      return { status: response.status, body: json, headers: response.headers };
    };
    const credentialsOf = async (text: string) => {
      const { id, secret } = parseLink(text);
      return { id, link: await deriveLinkToken(secret), token: await deriveAccessToken(secret) };
    };
    const auth = (key: string | undefined) => ({ Authorization: `Bearer ${key}` });
    const origin = { Origin: 'http://localhost' };
    await sendJson(app, keys.acme, aSendRequest({ replyTo: 'care@acme.example' }));
    const plain = await credentialsOf(deps.notifier.sent.at(-1)?.text ?? '');
    await sendJson(app, keys.acme, aSendRequest({ verification: 'email-code' }));
    const coded = await credentialsOf(deps.notifier.sent.at(-1)?.text ?? '');

    const statuses = [
      (await call('POST', `/m/${plain.id}/reply`, { link: plain.link, token: plain.token, subject: 'Re: Lab results', text: 'Thanks!' })).status,
      (await call('POST', `/v1/admin/messages/${plain.id}/recover`, undefined, auth(adminKeys.acme))).status,
      (await call('POST', '/inbox/api/acme/sign-in', { email: 'alice@example.com' }, origin)).status,
    ];
    const code = /\b(\d{6})\b/.exec(deps.notifier.sent.at(-1)?.text ?? '')?.[1];
    const verified = await call('POST', '/inbox/api/acme/verify', { email: 'alice@example.com', code }, origin);
    const cookie = { Cookie: (verified.headers.get('Set-Cookie') ?? '').split(';')[0] as string };
    statuses.push(
      verified.status,
      (await call('GET', '/inbox/api/acme/messages', undefined, cookie)).status,
      (await call('POST', `/inbox/api/acme/messages/${plain.id}/open`, {}, { ...cookie, ...origin })).status,
      (await call('POST', '/inbox/api/acme/sign-out', {}, { ...cookie, ...origin })).status,
      (await call('GET', '/inbox')).status,
      (await call('GET', '/inbox/acme')).status,
    );
    // Problems, each answered where the document says it can be, with its kind named there.
    const problems = [
      await call('POST', `/m/${coded.id}/open`, { link: coded.link, token: coded.token }),
      await call('POST', `/m/${coded.id}/open`, { link: coded.link, token: coded.token, code: '000000' }),
      await call('POST', `/m/${coded.id}/reply`, { link: coded.link, token: coded.token, subject: 'Re: x', text: 'x' }),
      await call('POST', `/m/${plain.id}/code`, { link: plain.link, token: plain.token }),
      await call('POST', `/m/${plain.id}/reply`, { link: plain.link, token: coded.token, subject: 'Re: x', text: 'x' }),
      await call('POST', `/v1/admin/messages/${plain.id}/recover`, undefined, auth(keys.acme)),
      await call('POST', '/v1/admin/messages/AAAAAAAAAAAAAAAAAAAAAA/recover', undefined, auth(adminKeys.acme)),
      await call('POST', '/inbox/api/acme/verify', { email: 'alice@example.com', code: '000000' }, origin),
      await call('GET', '/inbox/api/acme/messages', undefined, cookie),
      await call('POST', '/inbox/api/acme/sign-in', { email: 'alice@example.com' }),
    ];
    const replies = [];
    for (let i = 0; i < 5; i++) replies.push(await call('POST', `/m/${plain.id}/reply`, { link: plain.link, token: plain.token, subject: 'Re: Lab results', text: `Again ${i}` }));

    expect(statuses).toEqual([201, 201, 202, 204, 200, 200, 204, 200, 200]);
    expect(problems.map((p) => `${p.status} ${String(p.body?.type).replace('urn:sealpost:problem:', '')}`)).toEqual([
      // The reply asks for a code again, less than 30 seconds after the last one was sent.
      '403 verification-required', '403 code-wrong', '429 code-rate-limited', '409 conflict', '404 message-unavailable',
      '403 forbidden', '404 not-found', '401 unauthorized', '401 unauthorized', '403 forbidden',
    ]);
    expect(problems[1]?.body).toHaveProperty('attemptsLeft');
    expect(replies.map((r) => r.status)).toEqual([201, 201, 201, 201, 429]);
    expect(replies[4]?.body).toMatchObject({ type: 'urn:sealpost:problem:reply-rate-limited', retryAfter: expect.any(Number) });
  });
});

describe('the curl examples of the README and docs/', () => {
  const calls = curlCalls(DOCS_WITH_EXAMPLES);

  it('cover every operation of the sender and admin API', () => {
    const covered = new Set(calls.map((c) => findOperation(c.method, c.path)?.operationId));

    expect(OPERATIONS.filter((op) => (op.scope === 'send' || op.scope === 'admin') && !covered.has(op.operationId)).map((op) => op.operationId)).toEqual([]);
  });

  it('each call a documented operation, with the key, content type, query and body it requires', () => {
    const problems = calls.flatMap((call) => curlProblems(call).map((problem) => `${problem}: ${call.source}`));

    expect(calls.length).toBeGreaterThan(15);
    expect(problems).toEqual([]);
  });

  it('would catch a drifted example: a wrong field, an unknown address, a bad query value', () => {
    const [drifted] = curlCalls("```sh\ncurl -sS http://localhost:3000/v1/messages -H 'Content-Type: application/json' -d '{\"to\":[\"a@example.com\"],\"subject\":\"Hi\",\"text\":\"x\",\"bcc\":[]}'\n```\n");
    const [unknown] = curlCalls('```sh\ncurl -X PUT http://localhost:3000/v1/messages\n```\n');
    const [badQuery] = curlCalls('```sh\ncurl "http://localhost:3000/v1/events?type=opened,hacked"\n```\n');

    expect(COMPONENT_SCHEMAS.SendRequest.safeParse(JSON.parse(drifted?.data ?? '')).success).toBe(false);
    expect(findOperation(unknown?.method ?? '', unknown?.path ?? '')).toBeUndefined();
    expect(() => findOperation('GET', badQuery?.path ?? '')?.query?.parse(Object.fromEntries(badQuery?.query ?? []))).toThrow();
  });
});

describe('GET /v1/openapi.json and GET /v1/docs', () => {
  it('serves the document without a key, as cacheable JSON', async () => {
    const { app } = await buildTestApp();

    const response = await app.request('/v1/openapi.json');

    expect(response.status).toBe(200);
    expect(response.headers.get('Content-Type')).toMatch(/^application\/json/);
    expect(response.headers.get('Cache-Control')).toBe('public, max-age=300');
  });

  it('renders every operation into the reference page, with no script, no inline style and its stylesheet served', async () => {
    const { app } = await buildTestApp();
    const doc = await fetchDocument(app);

    const response = await app.request('/v1/docs');
    const page = await response.text();
    const css = await app.request('/v1/docs.css');

    expect(response.status).toBe(200);
    expect(response.headers.get('Content-Type')).toMatch(/^text\/html/);
    expect(response.headers.get('Content-Security-Policy')).toContain("script-src 'self'");
    for (const { path, method, op } of operationsOf(doc)) {
      expect(page).toContain(`id="op-${op.operationId as string}"`);
      expect(page).toContain(`>${method.toUpperCase()}</span> <code>${path}</code>`);
    }
    for (const name of Object.keys((doc.components as { schemas: Json }).schemas)) expect(page).toContain(`id="schema-${name}"`);
    // No inline script or style: the only script is the page's own file.
    expect(page).not.toMatch(/<script(?![^>]*\ssrc="\/v1\/docs\.js")|<style|\sstyle=|\son[a-z]+=|javascript:/i);
    expect(page).toContain('<link rel="stylesheet" href="/v1/docs.css">');
    expect(css.status).toBe(200);
    expect(css.headers.get('Content-Type')).toBe('text/css; charset=utf-8');
    const script = await app.request('/v1/docs.js');
    expect(script.status).toBe(200);
    expect(script.headers.get('Content-Type')).toBe('text/javascript; charset=utf-8');
  });

  it('shows an example request (curl) and answer beside every operation, against the deployment\'s origin', async () => {
    const { app } = await buildTestApp();
    const doc = await fetchDocument(app);

    const page = await (await app.request('/v1/docs')).text();

    expect(page).toContain('SEALPOST=https://portal.test ');
    for (const { op } of operationsOf(doc)) {
      const section = page.slice(page.indexOf(`id="op-${op.operationId as string}"`)).split('</section>')[0] ?? '';
      expect(section, op.operationId as string).toContain('Example request (curl)');
      expect(section, op.operationId as string).toContain('Example answer');
      expect(section, op.operationId as string).toMatch(/<code class="language-sh">curl -sS/);
    }
  });
});

describe('the examples of the OpenAPI document', () => {
  it('give every operation a curl sample, a request its schemas accept and an answer its schema describes', async () => {
    const problems: string[] = [];

    for (const op of OPERATIONS) {
      const example = OPERATION_EXAMPLES[op.operationId];
      if (!example) { problems.push(`${op.operationId}: no example`); continue; }
      const [call] = curlCalls(`\`\`\`sh\n${curlSample(op, example, '$SEALPOST')}\n\`\`\`\n`);
      if (!call || findOperation(call.method, call.path)?.operationId !== op.operationId) problems.push(`${op.operationId}: the curl sample calls ${call?.method} ${call?.path}`);
      else problems.push(...curlProblems(call).map((p) => `${op.operationId}: ${p}`));
      if (op.body && example.body === undefined) problems.push(`${op.operationId}: no request body`);
      if (op.body && example.body !== undefined && !COMPONENT_SCHEMAS[op.body.schema].safeParse(example.body).success) problems.push(`${op.operationId}: the request body breaks ${op.body.schema}`);
      const { status, body } = example.response;
      if (status >= 400) {
        if (!problemStatuses(op).has(status)) problems.push(`${op.operationId}: ${status} is not documented`);
        else if (!isDeepStrictEqual(COMPONENT_SCHEMAS.Problem.parse(body), body)) problems.push(`${op.operationId}: the problem is not a Problem`);
        continue;
      }
      const spec = op.responses[status];
      if (!spec) { problems.push(`${op.operationId}: ${status} is not documented`); continue; }
      if (spec.json) {
        const parsed = COMPONENT_SCHEMAS[spec.json].safeParse(body);
        if (!parsed.success || !isDeepStrictEqual(parsed.data, body)) problems.push(`${op.operationId}: the answer is not exactly a ${spec.json}`);
      }
    }

    expect(problems).toEqual([]);
  });

  it('would catch a drifted example: a field the schema does not know', () => {
    const op = OPERATIONS.find((o) => o.operationId === 'changeMessageExpiry') as OperationSpec;
    const drifted = { ...OPERATION_EXAMPLES.changeMessageExpiry, body: { expiresInDays: 14, notify: true } };

    expect(COMPONENT_SCHEMAS.ChangeMessageRequest.safeParse(drifted.body).success).toBe(false);
    expect(curlSample(op, drifted as OperationExample, '$SEALPOST')).toContain('"notify":true');
  });
});

describe('GET /favicon.ico', () => {
  it('answers with the icon, cacheable, on every deployable', async () => {
    const { app } = await buildTestApp();

    const response = await app.request('/favicon.ico');
    const bytes = new Uint8Array(await response.arrayBuffer());

    expect(response.status).toBe(200);
    expect(response.headers.get('Content-Type')).toBe('image/x-icon');
    expect(response.headers.get('Cache-Control')).toBe('public, max-age=86400');
    expect([...bytes.slice(0, 4)]).toEqual([0, 0, 1, 0]);
    expect([...bytes.slice(22, 26)]).toEqual([0x89, 0x50, 0x4e, 0x47]);
  });
});
