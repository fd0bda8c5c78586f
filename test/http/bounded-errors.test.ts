import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../functions/core/shared/index.ts';
import { EVENT_TYPES, type EventQuery } from '../../functions/core/audit/index.ts';
import { MAX_PROBLEM_BYTES, errorToResponse } from '../../functions/http/problem.ts';
import { MAX_CC, MAX_TO, MAX_ATTACHMENTS } from '../../functions/http/schemas.ts';
import { aSendRequest, base64, buildTestApp, sendJson } from '../helpers/builders.ts';
import { CapturingLogger } from '../helpers/fakes.ts';

type Problem = { type: string; status: number; detail: string; requestId: string; errors?: { field: string; message: string }[]; moreErrors?: number };

async function readProblem(res: Response, status: number): Promise<{ problem: Problem; bytes: number }> {
  expect(res.status).toBe(status);
  expect(res.headers.get('Content-Type')).toBe('application/problem+json');
  const text = await res.text();
  return { problem: JSON.parse(text) as Problem, bytes: Buffer.byteLength(text) };
}

/** A Hono app whose only route throws `error`, answered by the real problem mapping. */
function throwing(error: Error) {
  const app = new Hono();
  app.get('/', () => { throw error; });
  app.onError((e, c) => errorToResponse(e, c, new CapturingLogger()));
  return app;
}

describe('422 problem bodies are bounded', () => {
  it('lists the first 20 issues and says how many more there were when a request breaks many rules', async () => {
    const { app, deps, keys } = await buildTestApp();
    const bad = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}${i}-not-an-address`);

    const res = await sendJson(app, keys.acme, aSendRequest({ to: bad('t', MAX_TO), cc: bad('c', MAX_CC) }));

    const { problem } = await readProblem(res, 422);
    expect(problem.errors).toHaveLength(20);
    expect(problem.errors?.[0]?.field).toBe('to/0');
    expect(problem.moreErrors).toBe(MAX_TO + MAX_CC - 20);
    expect(deps.store.heads.size).toBe(0);
  });

  it('leaves moreErrors out when every issue is listed', async () => {
    const { app, keys } = await buildTestApp();

    const res = await sendJson(app, keys.acme, aSendRequest({ to: ['nope'] }));

    const { problem } = await readProblem(res, 422);
    expect(problem.errors).toEqual([{ field: 'to/0', message: expect.any(String) }]);
    expect(problem).not.toHaveProperty('moreErrors');
  });

  it.each([
    { echoed: 'a megabyte per field, message and detail', text: 'k'.repeat(1_000_000), count: 50 },
    { echoed: 'characters JSON escapes to six bytes each', text: '\u0001'.repeat(10_000), count: 20 },
  ])('clips each part and keeps the body under 16 KB when the issues echo $echoed', async ({ text, count }) => {
    const issues = Array.from({ length: count }, () => ({ field: text, message: text }));

    const res = await throwing(new ValidationError(text, issues)).request('/');

    const { problem, bytes } = await readProblem(res, 422);
    expect(bytes).toBeLessThanOrEqual(MAX_PROBLEM_BYTES);
    expect(problem.detail.length).toBeLessThanOrEqual(1000);
    expect(problem.errors?.length).toBeGreaterThan(0);
    for (const issue of problem.errors ?? []) {
      expect(issue.field.length).toBeLessThanOrEqual(100);
      expect(issue.message.length).toBeLessThanOrEqual(300);
    }
    expect((problem.errors?.length ?? 0) + (problem.moreErrors ?? 0)).toBe(count);
  });

  it('does not split a surrogate pair when it clips', async () => {
    const res = await throwing(new ValidationError('x', [{ field: 'f', message: '😀'.repeat(400) }])).request('/');

    const { problem } = await readProblem(res, 422);
    const message = problem.errors?.[0]?.message ?? '';
    expect(message.length).toBeLessThanOrEqual(300);
    expect(message).toMatch(/^(😀)+…$/u);
  });
});

describe('readJson refuses deep or wide JSON before validating it', () => {
  it('answers 413 with a small body to 400,000 unknown keys, unauthenticated requests included', async () => {
    const { app, deps, keys } = await buildTestApp();
    const wide = `{${Array.from({ length: 400_000 }, (_, i) => `"k${i}":0`).join(',')}}`;

    for (const key of [keys.acme, undefined]) {
      const path = key ? '/v1/messages' : '/m/AAAAAAAAAAAAAAAAAAAAAA/open';
      const res = await app.request(path, { method: 'POST', headers: { 'Content-Type': 'application/json', ...(key ? { Authorization: `Bearer ${key}` } : {}) }, body: wide });

      const { problem, bytes } = await readProblem(res, 413);
      expect(problem.detail).toMatch(/more than 10,000 values/);
      expect(bytes).toBeLessThan(1024);
    }
    expect(deps.store.heads.size).toBe(0);
    expect(deps.events.events).toHaveLength(0);
  });

  it('answers 400 to a body nested 100,000 deep, in arrays or in objects', async () => {
    const { app, deps, keys } = await buildTestApp();
    const depth = 100_000;
    const bodies = [
      JSON.stringify({ ...aSendRequest(), to: 'X' }).replace('"X"', `${'['.repeat(depth)}${']'.repeat(depth)}`),
      `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`,
    ];

    for (const body of bodies) {
      const { problem } = await readProblem(await sendJson(app, keys.acme, body), 400);
      expect(problem.detail).toMatch(/deeper than 32 levels/);
    }
    expect(deps.store.heads.size).toBe(0);
  });

  it('still accepts the largest legitimate send: 100 named recipients and 20 attachments', async () => {
    const { app, deps, keys } = await buildTestApp();
    const people = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => ({ email: `${prefix}${i}@example.com`, name: `Person ${i}` }));
    const attachments = Array.from({ length: MAX_ATTACHMENTS }, (_, i) => ({ filename: `f${i}.txt`, contentType: 'text/plain', content: base64(`file ${i}`) }));

    const res = await sendJson(app, keys.acme, aSendRequest({ to: people('t', MAX_TO), cc: people('c', MAX_CC), html: '<p>hi</p>', attachments, expiresInDays: 3, maxViews: 2, replyTo: 'r@example.com' }));

    expect(res.status).toBe(201);
    expect(deps.notifier.sent).toHaveLength(MAX_TO + MAX_CC);
  });
});

describe('GET /v1/events?type=', () => {
  /** Answers the request, recording the query the event log was asked. */
  async function eventQueryOf(path: string): Promise<{ status: number; query?: EventQuery }> {
    const { app, deps, keys } = await buildTestApp();
    let query: EventQuery | undefined;
    const list = deps.events.listForTenant.bind(deps.events);
    deps.events.listForTenant = (tenantId, q) => { query = q; return list(tenantId, q); };
    const res = await app.request(path, { headers: { Authorization: `Bearer ${keys.acme}` } });
    return { status: res.status, ...(query ? { query } : {}) };
  }

  it('asks the event log for each type once when types repeat, in the comma form or as repeated parameters', async () => {
    const comma = await eventQueryOf(`/v1/events?type=${Array(400).fill('opened').join(',')}`);
    const repeated = await eventQueryOf(`/v1/events?${Array(400).fill('type=opened').join('&')}`);

    expect(comma).toEqual({ status: 200, query: expect.objectContaining({ types: ['opened'] }) });
    expect(repeated).toEqual({ status: 200, query: expect.objectContaining({ types: ['opened'] }) });
  });

  it('takes every repeated type parameter, refusing an unknown one among them', async () => {
    const both = await eventQueryOf('/v1/events?type=opened&type=revoked,opened');
    const unknown = await eventQueryOf('/v1/events?type=opened&type=hacked');

    expect(both.query?.types).toEqual(['opened', 'revoked']);
    expect(unknown).toEqual({ status: 422 });
  });

  it('can never ask for more types than one DynamoDB filter accepts (IN takes at most 100 values)', () => {
    expect(EVENT_TYPES.length).toBeLessThanOrEqual(100);
  });
});
