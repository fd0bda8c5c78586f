import { describe, expect, it } from 'vitest';

import { type Fetch, messageIdFromPath, openMessage, partLinksOf, requestCode } from '../../web/src/lib/api.ts';

interface Call {
  readonly url: string;
  readonly init: RequestInit;
}

function aFetch(respond: () => Response | Promise<Response>): { fetch: Fetch; calls: Call[] } {
  const calls: Call[] = [];
  return {
    calls,
    fetch: async (url, init) => {
      calls.push({ url, init });
      return respond();
    },
  };
}

const problem = (status: number, requestId = 'req-1'): Response =>
  new Response(JSON.stringify({ type: 'about:blank', title: 't', status, detail: 'd', requestId }), {
    status,
    headers: { 'Content-Type': 'application/problem+json' },
  });

describe('openMessage', () => {
  it('posts the token as JSON to /m/{id}/open and returns the ciphertext bytes on 200', async () => {
    const { fetch, calls } = aFetch(() => new Response(new Uint8Array([1, 2, 3]), { status: 200 }));

    const result = await openMessage('msg_1', { token: 'tok' }, fetch);

    expect(result).toEqual({ kind: 'ok', ciphertext: new Uint8Array([1, 2, 3]) });
    expect(calls).toHaveLength(1);
    expect(calls[0]?.url).toBe('/m/msg_1/open');
    expect(calls[0]?.init.method).toBe('POST');
    expect(new Headers(calls[0]?.init.headers).get('Content-Type')).toBe('application/json');
    expect(calls[0]?.init.body).toBe('{"token":"tok"}');
  });

  it('fetches every part the server announces and joins them in order', async () => {
    const parts = [new Uint8Array([1, 2]), new Uint8Array([3]), new Uint8Array([4, 5])];
    const calls: Call[] = [];
    const fetch: Fetch = async (url, init) => {
      calls.push({ url, init });
      const { part = 0 } = JSON.parse(String(init.body)) as { part?: number };
      return new Response(parts[part], { status: 200, headers: { 'Sealpost-Parts': '3' } });
    };

    const result = await openMessage('m', { token: 'tok' }, fetch);

    expect(result).toEqual({ kind: 'ok', ciphertext: new Uint8Array([1, 2, 3, 4, 5]) });
    expect(calls.map((c) => c.init.body)).toEqual(['{"token":"tok"}', '{"token":"tok","part":1}', '{"token":"tok","part":2}']);
  });

  it('reports unavailable when a later part is refused (revoked while downloading)', async () => {
    let n = 0;
    const fetch: Fetch = async () => (n++ === 0 ? new Response(new Uint8Array([1]), { status: 200, headers: { 'Sealpost-Parts': '2' } }) : problem(404));

    await expect(openMessage('m', { token: 'tok' }, fetch)).resolves.toEqual({ kind: 'unavailable' });
  });

  it('encodes an id that carries URL syntax', async () => {
    const { fetch, calls } = aFetch(() => problem(404));

    await openMessage('a/b?c', { token: 'tok' }, fetch);

    expect(calls[0]?.url).toBe('/m/a%2Fb%3Fc/open');
  });

  it('reports every 404 as unavailable, without details', async () => {
    const { fetch } = aFetch(() => problem(404));

    await expect(openMessage('m', { token: 't' }, fetch)).resolves.toEqual({ kind: 'unavailable' });
  });

  it.each([429, 500, 503])('reports %i as an error with the request id of the problem body', async (status) => {
    const { fetch } = aFetch(() => problem(status, 'req-42'));

    await expect(openMessage('m', { token: 't' }, fetch)).resolves.toEqual({ kind: 'error', status, requestId: 'req-42' });
  });

  it('ignores a request id that is not a short plain token', async () => {
    const { fetch } = aFetch(() => problem(500, '<img src=x onerror=alert(1)>'));

    await expect(openMessage('m', { token: 't' }, fetch)).resolves.toEqual({ kind: 'error', status: 500 });
  });

  it('reports status 0 when the network fails', async () => {
    const { fetch } = aFetch(() => Promise.reject(new TypeError('Failed to fetch')));

    await expect(openMessage('m', { token: 't' }, fetch)).resolves.toEqual({ kind: 'error', status: 0 });
  });
});

const kindProblem = (status: number, kind: string, extra: Record<string, unknown>): Response =>
  new Response(JSON.stringify({ type: `urn:sealpost:problem:${kind}`, title: 't', status, detail: 'd', requestId: 'req-9', ...extra }), {
    status,
    headers: { 'Content-Type': 'application/problem+json' },
  });

describe('verification answers', () => {
  it.each([
    [kindProblem(403, 'verification-required', { sentTo: 'a•••@example.com', expiresAt: 'x' }), { kind: 'verification-required', sentTo: 'a•••@example.com' }],
    [kindProblem(403, 'code-wrong', { attemptsLeft: 3 }), { kind: 'code-wrong', attemptsLeft: 3 }],
    [kindProblem(403, 'passcode-wrong', { attemptsLeft: 0 }), { kind: 'passcode-wrong', attemptsLeft: 0 }],
    [kindProblem(429, 'locked', { retryAfter: 900 }), { kind: 'locked', retryAfter: 900 }],
    [kindProblem(429, 'code-rate-limited', { retryAfter: 30 }), { kind: 'code-rate-limited', retryAfter: 30 }],
    [kindProblem(429, 'locked', { retryAfter: '900' }), { kind: 'error', status: 429, requestId: 'req-9' }],
    [kindProblem(403, 'forbidden', {}), { kind: 'error', status: 403, requestId: 'req-9' }],
  ])('maps a problem answer to what the page shows (%#)', async (response, expected) => {
    await expect(openMessage('m', { token: 't' }, async () => response)).resolves.toEqual(expected);
  });

  it('sends link, token and code for part 0, then the grant it answered (and no code) for later parts', async () => {
    const grant = 'G'.repeat(43);
    const calls: Call[] = [];
    const fetch: Fetch = async (url, init) => {
      calls.push({ url, init });
      return new Response(new Uint8Array([calls.length]), { status: 200, headers: { 'Sealpost-Parts': '2', ...(calls.length === 1 ? { 'Sealpost-Grant': grant } : {}) } });
    };

    const result = await openMessage('m', { link: 'l', token: 't', code: '123456' }, fetch);

    expect(result).toEqual({ kind: 'ok', ciphertext: new Uint8Array([1, 2]), grant });
    expect(calls.map((c) => c.init.body)).toEqual([
      '{"link":"l","token":"t","code":"123456"}',
      `{"link":"l","token":"t","grant":"${grant}","part":1}`,
    ]);
  });

  it('asks for a new code at /m/{id}/code', async () => {
    const { fetch, calls } = aFetch(() => kindProblem(403, 'verification-required', { sentTo: 'b•••@example.org' }));

    const result = await requestCode('m', { link: 'l', token: 't' }, fetch);

    expect(result).toEqual({ kind: 'verification-required', sentTo: 'b•••@example.org' });
    expect(calls[0]?.url).toBe('/m/m/code');
    expect(calls[0]?.init.body).toBe('{"link":"l","token":"t"}');
  });
});

/** The answer of an open of a sealed upload (docs/protocol.md §21.2), as functions/http/routes/portal.ts sends it. */
const partsAnswer = (body: unknown, headers: Record<string, string> = {}): Response =>
  new Response(JSON.stringify(body), { status: 200, headers: { 'Content-Type': 'application/json', 'Sealpost-Parts': '3', 'Cache-Control': 'no-store', ...headers } });

const LINKS = [
  { url: '/blobs/m/0?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Signature=aa', bytes: 4194304 },
  { url: '/blobs/m/1?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Signature=bb', bytes: 4194304 },
  { url: '/blobs/m/2?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Signature=cc', bytes: 17 },
];

describe('openMessage of a sealed upload', () => {
  it('returns the parts of a JSON answer and asks for no later part (Sealpost-Parts counts downloads)', async () => {
    const { fetch, calls } = aFetch(() => partsAnswer({ parts: LINKS }));

    const result = await openMessage('m', { link: 'l', token: 't' }, fetch);

    expect(result).toEqual({ kind: 'parts', parts: LINKS });
    expect(calls.map((c) => c.init.body)).toEqual(['{"link":"l","token":"t"}']);
    expect(new Headers(calls[0]?.init.headers).get('Accept')).toContain('application/json');
  });

  it('keeps the grant a code earned and a recovery link\'s wrapped key, as for bytes', async () => {
    const grant = 'G'.repeat(43);
    const wrapped = 'W'.repeat(80);
    const { fetch } = aFetch(() => partsAnswer({ parts: LINKS.slice(0, 1) }, { 'Sealpost-Grant': grant, 'Sealpost-Wrapped-Secret': wrapped, 'Sealpost-Recovered-Key': 'custody', 'Sealpost-Parts': '1' }));

    const result = await openMessage('m', { link: 'l', token: 't', code: '123456' }, fetch);

    expect(result).toEqual({ kind: 'parts', parts: LINKS.slice(0, 1), grant, wrappedSecret: wrapped, unlocks: 'custody' });
  });

  it('treats a JSON answer that is not a parts list as an error, never as ciphertext', async () => {
    const { fetch } = aFetch(() => partsAnswer({ parts: [{ url: 'https://elsewhere.example/x', bytes: 5 }] }));

    await expect(openMessage('m', { token: 't' }, fetch)).resolves.toEqual({ kind: 'error', status: 200 });
  });

  it('treats a body that is not JSON at all as an error', async () => {
    const { fetch } = aFetch(() => new Response('{"parts": [', { status: 200, headers: { 'Content-Type': 'application/json' } }));

    await expect(openMessage('m', { token: 't' }, fetch)).resolves.toEqual({ kind: 'error', status: 0 });
  });

  it('still reads bytes when the answer is octet-stream, whatever they look like', async () => {
    const bytes = new TextEncoder().encode(JSON.stringify({ parts: LINKS }));
    const { fetch } = aFetch(() => new Response(bytes, { status: 200, headers: { 'Content-Type': 'application/octet-stream' } }));

    await expect(openMessage('m', { token: 't' }, fetch)).resolves.toEqual({ kind: 'ok', ciphertext: bytes });
  });
});

describe('partLinksOf', () => {
  it('accepts parts on this origin with whole sizes', () => {
    expect(partLinksOf({ parts: LINKS })).toEqual(LINKS);
  });

  it.each([
    ['no parts member', {}],
    ['an empty list', { parts: [] }],
    ['null', null],
    ['a list of strings', { parts: ['/blobs/m/0'] }],
    ['another origin', { parts: [{ url: 'https://evil.example/blobs/m/0', bytes: 1 }] }],
    ['a protocol-relative URL', { parts: [{ url: '//evil.example/blobs/m/0', bytes: 1 }] }],
    ['a backslash URL', { parts: [{ url: '/\\evil.example/blobs/m/0', bytes: 1 }] }],
    ['a relative path', { parts: [{ url: 'blobs/m/0', bytes: 1 }] }],
    ['a tab the URL parser drops, leaving //host', { parts: [{ url: '/\t/evil.example/x', bytes: 1 }] }],
    ['a line break the URL parser drops', { parts: [{ url: '/\n/evil.example/x', bytes: 1 }] }],
    ['a path outside /blobs/', { parts: [{ url: '/m/abc/open', bytes: 1 }] }],
    ['a dot segment', { parts: [{ url: '/blobs/../inbox/api/x', bytes: 1 }] }],
    ['a javascript: URL', { parts: [{ url: 'javascript:alert(1)', bytes: 1 }] }],
    ['a size of 0', { parts: [{ url: '/blobs/m/0', bytes: 0 }] }],
    ['a fractional size', { parts: [{ url: '/blobs/m/0', bytes: 1.5 }] }],
    ['a size as a string', { parts: [{ url: '/blobs/m/0', bytes: '5' }] }],
    ['one bad part among good ones', { parts: [...LINKS, { url: '/blobs/m/3' }] }],
    ['more than 1000 parts', { parts: Array.from({ length: 1001 }, (_, i) => ({ url: `/blobs/m/${i}`, bytes: 1 })) }],
  ])('refuses %s', (_, body) => {
    expect(partLinksOf(body)).toBeUndefined();
  });
});

describe('messageIdFromPath', () => {
  it.each([
    ['/m/abc123', 'abc123'],
    ['/m/abc123/', 'abc123'],
    ['/m/a%2Fb', 'a/b'],
  ])('reads the id of %s', (path, id) => {
    expect(messageIdFromPath(path)).toBe(id);
  });

  it.each(['/', '/m/', '/m/a/b', '/x/abc', '/m/%E0%A4%A'])('returns null for %s', (path) => {
    expect(messageIdFromPath(path)).toBeNull();
  });
});
