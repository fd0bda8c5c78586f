import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { MAX_CONTENT_BYTES } from '../../functions/http/schemas.ts';
import { aSendRequest, base64, buildTestApp, sendJson } from '../helpers/builders.ts';

type Problem = { type: string; title: string; status: number; detail: string; requestId: string; errors?: { field: string; message: string }[] };

async function expectProblem(res: Response, status: number): Promise<Problem> {
  expect(res.status).toBe(status);
  expect(res.headers.get('Content-Type')).toBe('application/problem+json');
  const body = await res.json() as Problem;
  expect(body.status).toBe(status);
  expect(body.requestId).toBe(res.headers.get('X-Request-Id'));
  expect(body.detail.length).toBeGreaterThan(10);
  return body;
}

describe('POST /v1/messages rejects bad input and changes nothing', () => {
  const cases: { name: string; body: unknown; status: number; field?: string; detail?: RegExp }[] = [
    { name: 'malformed JSON', body: '{"to": [', status: 400, detail: /not valid JSON/ },
    { name: 'a body that is not an object', body: '[]', status: 422 },
    { name: 'no recipients', body: aSendRequest({ to: [] }), status: 422, field: 'to' },
    { name: 'an invalid address', body: aSendRequest({ to: ['not-an-address'] }), status: 422, field: 'to/0' },
    { name: 'an address with CR/LF', body: aSendRequest({ to: ['a@example.com\r\nBcc: x@evil.example'] }), status: 422, field: 'to/0' },
    { name: 'a name with a line break', body: aSendRequest({ to: [{ email: 'a@example.com', name: 'A\nBcc: x@evil.example' }] }), status: 422, field: 'to/0/name' },
    { name: 'a subject with CR/LF', body: aSendRequest({ subject: 'Hi\r\nBcc: x@evil.example' }), status: 422, field: 'subject' },
    { name: 'a subject with a control character', body: aSendRequest({ subject: 'Hi\u0007' }), status: 422, field: 'subject' },
    { name: 'a missing subject', body: { to: ['a@example.com'], text: 'x' }, status: 422, field: 'subject', detail: /required/ },
    { name: 'neither text nor html', body: { to: ['a@example.com'], subject: 'x' }, status: 422, field: 'text' },
    { name: 'too many recipients', body: aSendRequest({ to: Array.from({ length: 51 }, (_, i) => `r${i}@example.com`) }), status: 422, field: 'to', detail: /at most 50/ },
    { name: 'too many cc recipients', body: aSendRequest({ cc: Array.from({ length: 51 }, (_, i) => `c${i}@example.com`) }), status: 422, field: 'cc' },
    { name: 'expiresInDays above 90', body: aSendRequest({ expiresInDays: 91 }), status: 422, field: 'expiresInDays' },
    { name: 'expiresInDays below 1', body: aSendRequest({ expiresInDays: 0 }), status: 422, field: 'expiresInDays' },
    { name: 'a fractional expiresInDays', body: aSendRequest({ expiresInDays: 1.5 }), status: 422, field: 'expiresInDays' },
    { name: 'a filename with CR/LF', body: aSendRequest({ attachments: [{ filename: 'a\r\n.pdf', contentType: 'application/pdf', content: base64('x') }] }), status: 422, field: 'attachments/0/filename' },
    { name: 'a filename with a bidi override', body: aSendRequest({ attachments: [{ filename: 'invoice\u202Efdp.exe', contentType: 'application/pdf', content: base64('x') }] }), status: 422, field: 'attachments/0/filename' },
    { name: 'a subject with a bidi isolate', body: aSendRequest({ subject: 'Pay \u2066now\u2069' }), status: 422, field: 'subject' },
    { name: 'a filename that is a path', body: aSendRequest({ attachments: [{ filename: '../etc/passwd', contentType: 'text/plain', content: base64('x') }] }), status: 422, field: 'attachments/0/filename' },
    { name: 'an invalid content type', body: aSendRequest({ attachments: [{ filename: 'a.pdf', contentType: 'pdf', content: base64('x') }] }), status: 422, field: 'attachments/0/contentType' },
    { name: 'content that is not base64', body: aSendRequest({ attachments: [{ filename: 'a.pdf', contentType: 'application/pdf', content: 'not base64!' }] }), status: 422, field: 'attachments/0/content' },
    { name: 'an unknown field', body: { ...aSendRequest(), bcc: ['x@example.com'] }, status: 422, detail: /unknown field\(s\): bcc/ },
    { name: 'decoded content over 4 MiB', body: aSendRequest({ attachments: [{ filename: 'big.bin', contentType: 'application/octet-stream', content: base64(new Uint8Array(MAX_CONTENT_BYTES + 1)) }] }), status: 413, detail: /limit is 4194304 bytes/ },
  ];

  for (const c of cases) {
    it(`answers ${c.status} when the request has ${c.name}`, async () => {
      const { app, deps, keys } = await buildTestApp();

      const res = await sendJson(app, keys.acme, c.body);

      const problem = await expectProblem(res, c.status);
      if (c.field) expect(problem.errors?.map((e) => e.field)).toContain(c.field);
      if (c.detail) expect(problem.detail).toMatch(c.detail);
      expect(deps.store.heads.size).toBe(0);
      expect(deps.notifier.sent).toHaveLength(0);
    });
  }

  it('answers 415 when the body is not declared as JSON', async () => {
    const { app, deps, keys } = await buildTestApp();

    const res = await app.request('/v1/messages', { method: 'POST', headers: { Authorization: `Bearer ${keys.acme}`, 'Content-Type': 'text/plain' }, body: JSON.stringify(aSendRequest()) });

    await expectProblem(res, 415);
    expect(deps.store.heads.size).toBe(0);
  });

  it('answers 413 when the raw body exceeds the request limit', async () => {
    const { app, keys } = await buildTestApp();

    const res = await sendJson(app, keys.acme, JSON.stringify(aSendRequest({ text: 'x'.repeat(6_000_000) })));

    await expectProblem(res, 413);
  });

  it('answers 401 without an API key, with an unknown key, and with a malformed header', async () => {
    const { app, deps } = await buildTestApp();

    const variants: Record<string, string>[] = [{}, { Authorization: 'Bearer sp_unknown_key_aaaaaaaaaaaaaaaaaaaaaa' }, { Authorization: 'Basic abc' }];
    for (const headers of variants) {
      const res = await app.request('/v1/messages', { method: 'POST', headers: { 'Content-Type': 'application/json', ...headers }, body: JSON.stringify(aSendRequest()) });
      const problem = await expectProblem(res, 401);
      expect(problem.detail).toMatch(/API key/);
      expect(res.headers.get('WWW-Authenticate')).toMatch(/^Bearer/);
    }
    expect(deps.store.heads.size).toBe(0);
  });

  it('answers 401 when the tenant of the key is disabled', async () => {
    const { app, deps, keys } = await buildTestApp();
    deps.tenants.tenants.set('acme', { ...deps.tenants.tenants.get('acme')!, disabled: true });

    await expectProblem(await sendJson(app, keys.acme, aSendRequest()), 401);
  });

  it('answers 422 when an Idempotency-Key is reused with a different body', async () => {
    const { app, deps, keys } = await buildTestApp();

    await sendJson(app, keys.acme, aSendRequest({ subject: 'one' }), { 'Idempotency-Key': 'k1' });
    const res = await sendJson(app, keys.acme, aSendRequest({ subject: 'two' }), { 'Idempotency-Key': 'k1' });

    const problem = await expectProblem(res, 422);
    expect(problem.detail).toMatch(/Idempotency-Key/);
    expect(deps.notifier.sent).toHaveLength(1);
  });

  it('answers 409 and sends nothing while the same Idempotency-Key is still in flight', async () => {
    const { app, deps, keys } = await buildTestApp();
    const request = aSendRequest();
    const body = JSON.stringify(request);
    const keyHash = createHash('sha256').update(`acme\nbusy-key`).digest('base64url');
    await deps.idempotency.begin('acme', keyHash, createHash('sha256').update(body).digest('base64url'));

    const res = await sendJson(app, keys.acme, body, { 'Idempotency-Key': 'busy-key' });

    const problem = await expectProblem(res, 409);
    expect(problem.detail).toMatch(/still being processed/);
    expect(deps.notifier.sent).toHaveLength(0);
  });

  it('answers 503 and sends nothing when the message cannot be stored, and the key can be retried', async () => {
    const { app, deps, keys } = await buildTestApp();
    deps.store.failCreate = true;

    const res = await sendJson(app, keys.acme, aSendRequest(), { 'Idempotency-Key': 'retry-me' });

    const problem = await expectProblem(res, 503);
    expect(problem.detail).toMatch(/nothing was sent/);
    expect(deps.notifier.sent).toHaveLength(0);
    deps.store.failCreate = false;
    expect((await sendJson(app, keys.acme, aSendRequest(), { 'Idempotency-Key': 'retry-me' })).status).toBe(201);
  });

  it('answers 502, discards the message and lists every recipient when no notification could be sent', async () => {
    const { app, deps, keys } = await buildTestApp();
    deps.notifier.reject.add('alice@example.com');
    deps.notifier.throwFor.add('bob@example.com');

    const res = await sendJson(app, keys.acme, aSendRequest({ to: ['alice@example.com', 'bob@example.com'] }));

    const problem = await expectProblem(res, 502) as Problem & { recipients: { email: string; status: string; reason: string }[] };
    expect(problem.detail).toMatch(/the message was discarded/);
    expect(problem.recipients.map((r) => [r.email, r.status])).toEqual([['alice@example.com', 'failed'], ['bob@example.com', 'failed']]);
    const [head] = [...deps.store.heads.values()];
    expect(head?.state).toBe('revoked');
    expect(deps.store.chunks.size).toBe(0);
  });
});

describe('POST /v1/messages when nothing could be delivered and the discard fails too', () => {
  it('says the message could not be discarded and how to revoke it', async () => {
    const { app, deps, keys } = await buildTestApp();
    deps.notifier.reject.add('alice@example.com');
    deps.store.failDeleteChunks = true;

    const res = await sendJson(app, keys.acme, aSendRequest());

    const problem = await expectProblem(res, 502);
    expect(problem.detail).toMatch(/could not be discarded automatically: revoke it with DELETE \/v1\/messages\/[A-Za-z0-9_-]{22}/);
  });
});

describe('GET and DELETE /v1/messages/:id for ids that are not yours', () => {
  it('answers a plain 404 for another tenant\'s message and leaves it untouched', async () => {
    const { app, deps, keys } = await buildTestApp();
    const { id } = await (await sendJson(app, keys.acme, aSendRequest())).json() as { id: string };

    const read = await app.request(`/v1/messages/${id}`, { headers: { Authorization: `Bearer ${keys.other}` } });
    const revoke = await app.request(`/v1/messages/${id}`, { method: 'DELETE', headers: { Authorization: `Bearer ${keys.other}` } });
    const unknown = await app.request('/v1/messages/AAAAAAAAAAAAAAAAAAAAAA', { headers: { Authorization: `Bearer ${keys.other}` } });
    const malformed = await app.request(`/v1/messages/${'a'.repeat(3000)}`, { headers: { Authorization: `Bearer ${keys.other}` } });

    const a = await expectProblem(read, 404);
    const b = await expectProblem(revoke, 404);
    const c = await expectProblem(unknown, 404);
    const d = await expectProblem(malformed, 404);
    expect(new Set([a.detail, b.detail, c.detail, d.detail]).size).toBe(1);
    expect(deps.store.heads.get(id)?.state).toBe('active');
  });
});
