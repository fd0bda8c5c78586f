/**
 * fast-check generators of hostile HTTP requests, for test/http/hostile-input.property.test.ts:
 * every part of a request (path parameters, query, headers, body) drawn from wrong types, sizes at
 * and past the limits, deep and wide JSON, awkward Unicode and header injection attempts.
 */
import fc from 'fast-check';
import { MAX_JSON_DEPTH, MAX_JSON_VALUES } from '../../functions/http/json-limits.ts';
import { MAX_REQUEST_BYTES } from '../../functions/http/schemas.ts';

export interface HostileRequest {
  readonly method: string;
  /** Path and query, encoded as a client would send them (or deliberately not). */
  readonly url: string;
  readonly headers: readonly (readonly [string, string])[];
  readonly body?: string | Uint8Array;
}

/** What the generators may use: the caller's credentials and ids that belong to someone else. */
export interface HostileContext {
  readonly bearers: readonly string[];
  /** Ids of another tenant's messages, webhooks, keys and logo, and tenant ids. */
  readonly ids: readonly string[];
  /** Valid-looking bodies per route (`POST /m/:id/open`), mutated into hostile ones. */
  readonly templates: Readonly<Record<string, Record<string, unknown>>>;
}

/** Characters that break parsers, headers, terminals and displays. */
const AWKWARD = [
  '\u0000', '\r', '\n', '\r\n', '\t', '\b', '\u007f', '\u0085', '\ud800', '\udbff', '\udc00', '\udfff', '\u202e', '\u2066', '\u200f',
  '\ufeff', '\u2028', '\u00a0', '"', '\\', '/', '%', '..', '<script>', '&amp;', '😀', 'ﬀ', 'İ', 'e\u0301', '\uffff', '{', '[', ',',
];

/** Short text: mostly ASCII, with awkward characters and any code point mixed in. */
export const text = (maxLength: number) => fc.string({
  maxLength,
  unit: fc.oneof(
    { weight: 4, arbitrary: fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 1 }) },
    { weight: 2, arbitrary: fc.constantFrom(...AWKWARD) },
    { weight: 1, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }) },
  ),
});

/** A string whose length sits at or just past a limit somewhere in the API. */
const LIMITS = [0, 1, 5, 6, 7, 22, 32, 42, 43, 44, 64, 65, 100, 101, 128, 129, 200, 201, 250, 251, 253, 254, 255, 256, 300, 1000, 1001, 4097];
export const nearLimit = fc.tuple(fc.constantFrom(...LIMITS), fc.constantFrom('a', '0', 'é', '\ud800', '+', ' ', '😀')).map(([n, c]) => c.repeat(n));

const wellFormed = (s: string) => s.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd');
/** Percent-encoded as a client would (lone surrogates cannot be encoded, so they become U+FFFD). */
const encode = (s: string) => encodeURIComponent(wellFormed(s));
/** Sent as they are: malformed escapes, dot segments, encoded slashes and controls. */
const RAW = ['%', '%%', '%FF', '%C0%AF', '%E0%A4%A', '%00', '%0D%0A', '%2F', '..%2F..%2Fetc', '.', '..', '%2e%2e', '%E2%80%AE', '%uD800', '%ED%A0%80', 'a;b', '*'];

const scalar: fc.Arbitrary<unknown> = fc.oneof(
  fc.constant(null), fc.boolean(), fc.constantFrom(0, -1, 1.5, 1e308, -0, 2 ** 53 + 1, 91, 1001, 100000), text(40), nearLimit,
);
/** A value of the wrong kind for almost any field; long arrays of them break many rules at once. */
export const wrongValue: fc.Arbitrary<unknown> = fc.oneof(
  scalar, fc.constant([]), fc.constant({}), fc.array(text(8), { maxLength: 3 }), fc.jsonValue({ maxDepth: 2 }),
  fc.array(fc.oneof(scalar, fc.record({ email: scalar, name: scalar })), { minLength: 20, maxLength: 120 }),
);

const nest = (depth: number, inner: string, open = '[', close = ']') => `${open.repeat(depth)}${inner}${close.repeat(depth)}`;
const wide = (count: number) => `[${Array(count).fill('0').join(',')}]`;
const depthNearLimit = fc.constantFrom(MAX_JSON_DEPTH - 2, MAX_JSON_DEPTH - 1, MAX_JSON_DEPTH, MAX_JSON_DEPTH + 1, 1000, 100_000);
const countNearLimit = fc.constantFrom(MAX_JSON_VALUES - 5, MAX_JSON_VALUES, MAX_JSON_VALUES + 1, 20_000);

/** JSON text of `object` with `key` set to the raw JSON `value` first (no key is filtered out: "__proto__" stays a key). */
function withRawMember(object: Record<string, unknown>, key: string, value: string): string {
  const rest = JSON.stringify(object).slice(1);
  return `{${JSON.stringify(key)}:${value}${rest === '}' ? '' : ','}${rest}`;
}

/** A route's template with a few fields broken, then (mostly) one defect every route refuses. */
function mutatedTemplate(template: Record<string, unknown>): fc.Arbitrary<string> {
  const fields = [...Object.keys(template), 'to', 'token', 'link', 'code', 'email', 'subject', 'scope', 'events', 'brand'];
  const edits = fc.array(fc.tuple(fc.constantFrom(...fields), fc.option(fc.oneof(wrongValue, nearLimit), { nil: undefined })), { maxLength: 3 })
    .map((changes) => {
      const body: Record<string, unknown> = { ...template };
      for (const [field, value] of changes) {
        if (value === undefined) delete body[field];
        else body[field] = value;
      }
      return body;
    });
  const defect = fc.oneof(
    { weight: 2, arbitrary: fc.constant((json: Record<string, unknown>) => JSON.stringify(json)) },
    { weight: 2, arbitrary: fc.tuple(fc.oneof(text(20), fc.constantFrom('__proto__', 'constructor', 'bcc', '')), wrongValue)
      .map(([key, value]) => (json: Record<string, unknown>) => withRawMember(json, `x${key}`, JSON.stringify(value) ?? 'null')) },
    { weight: 1, arbitrary: fc.nat().map((n) => (json: Record<string, unknown>) => { const s = JSON.stringify(json); return s.slice(0, n % s.length); }) },
    { weight: 1, arbitrary: fc.tuple(fc.constantFrom(...fields), depthNearLimit).map(([key, depth]) => (json: Record<string, unknown>) => withRawMember(json, key, nest(depth, '"x"'))) },
    { weight: 1, arbitrary: fc.tuple(fc.constantFrom(...fields), countNearLimit).map(([key, count]) => (json: Record<string, unknown>) => withRawMember(json, key, wide(count))) },
  );
  return fc.tuple(edits, defect).map(([body, apply]) => apply(body));
}

/** A document nested or spread out near the limits of json-limits.ts. */
export const deepOrWide: fc.Arbitrary<string> = fc.oneof(
  depthNearLimit.map((d) => nest(d, '1')), depthNearLimit.map((d) => nest(d, '1', '{"a":', '}')), countNearLimit.map(wide),
  countNearLimit.map((n) => `{${Array.from({ length: n }, (_, i) => `"k${i}":0`).join(',')}}`),
);

/** Whole bodies that are wrong from the first byte. */
const garbageBody: fc.Arbitrary<string | Uint8Array> = fc.oneof(
  fc.constant(''), text(200), fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v)),
  fc.constantFrom('{"a":"\\ud800"}', '{"a":"\\u0000"}', '\ufeff{}', '{"a":1,}', "{'a':1}", '[1,2', '{"a":1}{"b":2}', 'null', '1e999', '"\\x41"', '{"__proto__":{"x":1}}'),
  fc.uint8Array({ maxLength: 64 }),
  fc.constant(new Uint8Array([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d])),
);

/** Rarely: a body at the request size limit and just past it (each costs a full read and scan). */
const hugeBody = fc.constantFrom(MAX_REQUEST_BYTES - 16, MAX_REQUEST_BYTES + 1).map((n) => `{"text":"${'a'.repeat(n - 12)}"}`);

export function bodyFor(template: Record<string, unknown>): fc.Arbitrary<string | Uint8Array | undefined> {
  return fc.oneof(
    { weight: 6, arbitrary: mutatedTemplate(template) },
    { weight: 2, arbitrary: garbageBody },
    { weight: 2, arbitrary: deepOrWide },
    { weight: 1, arbitrary: fc.constant(undefined) },
    { weight: 1, arbitrary: fc.nat(99).chain((n) => (n === 0 ? hugeBody : mutatedTemplate(template))) },
  );
}

export const segment = (ids: readonly string[]) => fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...ids) },
  { weight: 2, arbitrary: fc.string({ unit: fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-'), minLength: 1, maxLength: 64 }) },
  { weight: 2, arbitrary: text(60).map(encode) },
  { weight: 1, arbitrary: nearLimit.map(encode) },
  { weight: 1, arbitrary: fc.constantFrom(...RAW) },
);

const EVENTS_400 = Array(400).fill('opened').join(',');
const query = fc.oneof(
  { weight: 2, arbitrary: fc.constant('') },
  { weight: 1, arbitrary: fc.constant(`?${Array(400).fill('type=opened').join('&')}`) },
  { weight: 4, arbitrary: fc.array(fc.tuple(
    fc.oneof(fc.constantFrom('type', 'limit', 'cursor', 'since', 'v', 'type[]'), text(10).map(encode)),
    fc.oneof(
      fc.constantFrom('opened', 'opened,revoked', EVENTS_400, '0', '1', '100', '101', '-1', '1.5', '1e2', '0x10', ' 5', '2026-11-29', 'yesterday', '2026-11-29T12:00:00.000Z', 'EVENTS%23x').map(encode),
      text(50).map(encode), nearLimit.map(encode), fc.constantFrom(...RAW),
    ),
  ), { minLength: 1, maxLength: 5 }).map((pairs) => `?${pairs.map(([k, v]) => `${k}=${v}`).join('&')}`) },
);

const CONTENT_TYPES = [
  'application/json; charset=utf-8', 'application/json; charset=utf-16', 'application/json;charset="latin1"', 'APPLICATION/JSON', ' application/json ',
  'application/merge-patch+json', 'application/json-patch+json', 'application/jsonx', 'text/json', 'text/plain', 'text/html', 'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=----x', 'application/octet-stream', 'application/problem+json', ';', '*/*', 'application/json, text/plain', 'application/json\r\nX-Injected: 1',
];
const HEADERS = ['Idempotency-Key', 'If-Match', 'Origin', 'Cookie', 'X-Sealpost-Viewer-Host', 'User-Agent', 'Accept', 'Accept-Charset', 'Content-Encoding', 'X-Forwarded-For', 'X-Request-Id', 'Authorization'];
const INJECTIONS = ['x\r\nSet-Cookie: a=b', 'x\nX-Injected: 1', 'x\rY', '\u0000', ' padded ', 'é', '\u2028', 'sealpost_inbox=%FF%', 'sealpost_inbox=a; sealpost_inbox=b', '"7"', 'W/"1"', '*'];
const headerValue = fc.oneof(text(80), nearLimit, fc.constantFrom(...INJECTIONS), fc.constant('v'.repeat(10_000)));

export function headersFor(context: HostileContext): fc.Arbitrary<(readonly [string, string])[]> {
  const authorization = fc.oneof(
    { weight: 5, arbitrary: fc.constantFrom(...context.bearers).map((key) => `Bearer ${key}`) },
    { weight: 1, arbitrary: fc.constant(undefined) },
    { weight: 1, arbitrary: fc.oneof(
      fc.constantFrom('Basic Zm9vOmJhcg==', 'Bearer', 'Bearer ', 'Bearer sp_x_y', `bearer ${context.bearers[0] ?? ''}`, `Bearer ${context.bearers[0] ?? ''}x`, `Bearer  ${context.bearers[0] ?? ''}`),
      text(60).map((t) => `Bearer ${t}`), headerValue,
    ) },
  );
  const contentType = fc.oneof(
    { weight: 8, arbitrary: fc.constant('application/json') },
    { weight: 2, arbitrary: fc.constantFrom(...CONTENT_TYPES) },
    { weight: 1, arbitrary: fc.constant(undefined) },
    { weight: 1, arbitrary: headerValue },
  );
  // The inbox takes a POST only from its own origin: mostly that, so its routes get past the check.
  const origin = fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom('http://localhost', 'https://portal.test') },
    { weight: 1, arbitrary: fc.constantFrom('https://evil.example', 'null', '', undefined) },
  );
  const extra = fc.array(fc.tuple(fc.constantFrom(...HEADERS), headerValue), { maxLength: 3 });
  return fc.tuple(authorization, contentType, origin, extra).map(([a, t, o, more]) => [
    ...(a !== undefined ? [['Authorization', a] as const] : []),
    ...(t !== undefined ? [['Content-Type', t] as const] : []),
    ...(o !== undefined ? [['Origin', o] as const] : []),
    ...more,
  ]);
}

/** A hostile request to the route `pattern` (Hono syntax, /m/:id/open) with `method`. */
export function requestTo(method: string, pattern: string, context: HostileContext): fc.Arbitrary<HostileRequest> {
  const names = [...pattern.matchAll(/:(\w+)/g)];
  const path = fc.tuple(...names.map(() => segment(context.ids)))
    .map((values) => { let i = 0; return pattern.replace(/:(\w+)/g, () => values[i++] as string); });
  const template = context.templates[`${method} ${pattern}`] ?? {};
  const body = method === 'GET' || method === 'HEAD' ? fc.constant(undefined) : bodyFor(template);
  return fc.record({ path, query, headers: headersFor(context), body })
    .map(({ path: p, query: q, headers, body: b }) => ({ method, url: `${p}${q}`, headers, ...(b !== undefined ? { body: b } : {}) }));
}

let measured: string[] | undefined;
/**
 * The attacks measured before json-limits.ts and the problem bounds existed, for a route that takes
 * a body, with an admin key and the inbox's own origin: 400,000 unknown keys in 5.9 MB (a 3.5 MB
 * 422), and 100,000 levels of nested arrays.
 */
export function measuredAttacks(method: string, pattern: string, context: HostileContext): HostileRequest[] {
  if (method === 'GET' || method === 'HEAD') return [];
  measured ??= [`{${Array.from({ length: 400_000 }, (_, i) => `"k${i}":0`).join(',')}}`, `{"to":${nest(100_000, '0')}}`];
  const url = pattern.replace(/:(\w+)/g, () => context.ids[0] ?? 'x');
  const headers = [['Authorization', `Bearer ${context.bearers.at(-1) ?? ''}`], ['Content-Type', 'application/json'], ['Origin', 'http://localhost']] as const;
  return measured.map((body) => ({ method, url, headers, body }));
}

/** Paths no route serves (and a few that come close), with any method. */
export function strayRequest(context: HostileContext): fc.Arbitrary<HostileRequest> {
  const path = fc.oneof(
    fc.constantFrom('/', '//', '/v1', '/v1/', '/v1/admin', '/v1/admin/', '/v1/admin/nothing', '/v1/admin/messages/x', '/m', '/m/', '/m/a/b/c', '/inbox/api',
      '/inbox/api/acme', '/inbox/api/acme/nothing', '/brand', '/brand/acme', '/assets/', '/.env', '/v1/messages/a/b', '/%2e%2e/v1/messages', '/v1/../v1/messages',
      '/healthz/', '/HEALTHZ', '/v1/OPENAPI.json', '/admin/x', '/m/%00/open', '/v2/messages', '/index.html'),
    fc.array(fc.oneof(segment(context.ids), fc.constantFrom(...RAW)), { minLength: 1, maxLength: 5 }).map((parts) => `/${parts.join('/')}`),
  );
  return fc.record({ method: fc.constantFrom('GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'), path, query, headers: headersFor(context), body: bodyFor({}) })
    .map(({ method, path: p, query: q, headers, body }) => ({
      method, url: `${p}${q}`, headers, ...(body !== undefined && method !== 'GET' && method !== 'HEAD' ? { body } : {}),
    }));
}

/** The request as fetch builds it: a header value fetch refuses (CR, LF, NUL, non-Latin-1) is left out, as a client would have to. */
export function toRequestInit(request: HostileRequest): RequestInit {
  const headers = new Headers();
  for (const [name, value] of request.headers) {
    try {
      headers.append(name, value);
    } catch {
      // fetch refused the value: it cannot reach a server through a conforming client.
    }
  }
  return { method: request.method, headers, ...(request.body !== undefined ? { body: request.body as BodyInit } : {}) };
}
