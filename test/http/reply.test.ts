import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { requestId } from '../../functions/http/middleware/request-id.ts';
import { errorToResponse } from '../../functions/http/problem.ts';
import { replyRoutes, type ReplyRequest } from '../../functions/http/routes/reply.ts';
import type { AppEnv } from '../../functions/http/types.ts';
import { base64 } from '../helpers/builders.ts';
import { aReplyWorld } from '../helpers/reply-fakes.ts';
import { smuggledBytes } from '../helpers/smuggled-message.ts';

type Problem = { type: string; title: string; status: number; detail: string; requestId: string; errors?: { field: string; message: string }[] };

/** The route as the lead mounts it on the portal: request id in front, problem+json errors. */
async function buildReplyApp(options: { grant?: string } = {}) {
  const world = aReplyWorld();
  const original = await world.sendOriginal();
  const app = new Hono<AppEnv>();
  app.use('*', requestId());
  // With `grant`, authorize behaves as after a verified email code: it hands out a new grant.
  const authorize: typeof world.deps.authorize = async (...args) => ({ ...(await world.deps.authorize(...args)), ...(options.grant ? { grant: options.grant } : {}) });
  app.route('/', replyRoutes({ ...world.deps, authorize }));
  app.onError((error, c) => errorToResponse(error, c, world.deps.logger));
  const { link, token } = original.links[0] as { link: string; token: string };
  const aBody = (overrides: Partial<ReplyRequest> = {}): ReplyRequest => ({ link, token, subject: 'Re: Lab results', text: 'Thanks!', ...overrides });
  const post = (body: unknown, init: { id?: string; contentType?: string } = {}) => app.request(`/m/${init.id ?? original.id}/reply`, {
    method: 'POST',
    headers: { 'Content-Type': init.contentType ?? 'application/json', 'User-Agent': 'test-browser/1' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { ...world, app, original, aBody, post };
}

async function expectProblem(res: Response, status: number, kind: string): Promise<Problem> {
  expect(res.status).toBe(status);
  expect(res.headers.get('Content-Type')).toBe('application/problem+json');
  const body = await res.json() as Problem;
  expect(body).toMatchObject({ type: `urn:sealpost:problem:${kind}`, status });
  expect(body.requestId).toBe(res.headers.get('X-Request-Id'));
  return body;
}

describe('POST /m/:id/reply', () => {
  it('answers 201 with exactly the id and expiry of the reply, uncached, when the reply is valid', async () => {
    const { post, aBody, deps, original } = await buildReplyApp();

    const res = await post(aBody({ attachments: [{ filename: 'form.pdf', contentType: 'Application/PDF', content: base64('%PDF-1.7') }] }));

    expect(res.status).toBe(201);
    expect(res.headers.get('Cache-Control')).toBe('no-store');
    const body = await res.json() as { id: string; expiresAt: string };
    expect(Object.keys(body).sort()).toEqual(['expiresAt', 'id']);
    expect(deps.store.heads.get(original.id)?.replyIds).toEqual([body.id]);
    expect(deps.events.events.find((e) => e.type === 'replied')).toMatchObject({ messageId: original.id, detail: body.id, userAgent: 'test-browser/1' });
  });

  it('hands out the new grant in Sealpost-Grant when the reply came with an emailed code', async () => {
    const { post, aBody } = await buildReplyApp({ grant: 'G'.repeat(43) });

    const res = await post(aBody({ code: '123456' }));

    expect(res.status).toBe(201);
    expect(res.headers.get('Sealpost-Grant')).toBe('G'.repeat(43));
  });

  it('sends no Sealpost-Grant when no new grant was issued', async () => {
    const { post, aBody } = await buildReplyApp();

    expect((await post(aBody())).headers.get('Sealpost-Grant')).toBeNull();
  });

  it.each([
    ['no token', { token: undefined }, 'token'],
    ['no text', { text: undefined }, 'text'],
    ['an empty subject', { subject: '' }, 'subject'],
    ['a subject with a line break', { subject: 'Re: x\r\nBcc: evil@example.com' }, 'subject'],
    ['an HTML body', { html: '<p>hi</p>' }, '(body)'],
    ['an attachment path', { attachments: [{ filename: '../etc/passwd', contentType: 'text/plain', content: base64('x') }] }, 'attachments/0/filename'],
    ['attachment content that is not base64', { attachments: [{ filename: 'a.txt', contentType: 'text/plain', content: 'not base64!' }] }, 'attachments/0/content'],
    ['11 attachments', { attachments: Array.from({ length: 11 }, (_, i) => ({ filename: `f${i}.txt`, contentType: 'text/plain', content: base64('x') })) }, 'attachments'],
    ['an empty reply', { text: ' ' }, 'text'],
    ['an attached message', { attachments: [{ filename: 'notice.eml', contentType: 'message/rfc822', content: Buffer.from(smuggledBytes()).toString('base64') }] }, 'attachments/0/contentType'],
    ['a multipart attachment', { attachments: [{ filename: 'a.txt', contentType: 'text/plain', content: base64('x') }, { filename: 'parts', contentType: 'multipart/mixed', content: base64('x') }] }, 'attachments/1/contentType'],
  ] as const)('answers 422 naming the field when the body has %s', async (_case, overrides, field) => {
    const { post, aBody, deps } = await buildReplyApp();

    const res = await post({ ...aBody(), ...overrides });

    const problem = await expectProblem(res, 422, 'validation');
    expect(problem.errors?.map((e) => e.field)).toContain(field);
    // Only the original's notification: nothing was sent for the reply.
    expect(deps.notifier.sent).toHaveLength(1);
  });

  it('answers 413 when the decoded content is over 4 MiB', async () => {
    const { post, aBody } = await buildReplyApp();

    const res = await post(aBody({ attachments: [{ filename: 'big.bin', contentType: 'application/octet-stream', content: Buffer.alloc(4 * 1024 * 1024).toString('base64') }] }));

    const problem = await expectProblem(res, 413, 'payload-too-large');
    expect(problem.detail).toMatch(/4 MiB/);
  });

  it('answers 415 when the body is not sent as JSON', async () => {
    const { post, aBody } = await buildReplyApp();

    await expectProblem(await post(JSON.stringify(aBody()), { contentType: 'text/plain' }), 415, 'unsupported-media-type');
  });

  it('answers 400 when the body is not JSON', async () => {
    const { post } = await buildReplyApp();

    await expectProblem(await post('{"token":'), 400, 'malformed');
  });

  it('answers the same 404 as pickup when the token does not open the message', async () => {
    const { post, aBody } = await buildReplyApp();

    const problem = await expectProblem(await post(aBody({ token: 'A'.repeat(43) })), 404, 'message-unavailable');
    expect(problem.detail).toBe('This message is not available. It may have expired or been revoked, or the link is incomplete.');
  });

  it('answers 404 when the original was revoked', async () => {
    const { post, aBody, deps, original } = await buildReplyApp();
    await deps.store.revoke('acme', original.id, deps.clock());

    await expectProblem(await post(aBody()), 404, 'message-unavailable');
  });

  it('answers 429 with Retry-After after five replies in the hour', async () => {
    const { post, aBody } = await buildReplyApp();
    for (let i = 0; i < 5; i++) expect((await post(aBody())).status).toBe(201);

    const res = await post(aBody());

    const problem = await expectProblem(res, 429, 'reply-rate-limited');
    expect(res.headers.get('Retry-After')).toBe('3600');
    expect(problem.detail).toBe('You can send at most 5 replies to a message per hour. Try again in 60 minutes.');
  });

  it.each(['GET', 'PUT', 'DELETE'])('answers 405 with Allow: POST to %s', async (method) => {
    const { app, original } = await buildReplyApp();

    const res = await app.request(`/m/${original.id}/reply`, { method });

    await expectProblem(res, 405, 'method-not-allowed');
    expect(res.headers.get('Allow')).toBe('POST');
  });
});
