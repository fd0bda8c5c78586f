/**
 * The API key's last use (functions/http/middleware/auth.ts): recorded while the request is served,
 * not before it, and done before the answer goes — a Lambda instance is frozen once it has answered.
 */
import { describe, expect, it } from 'vitest';
import { aSendRequest, buildTestApp, sendJson } from '../helpers/builders.ts';

const settled = (promise: Promise<unknown>) => Promise.race([promise.then(() => true), new Promise((resolve) => setTimeout(() => resolve(false), 50))]);

describe('the last use of an API key', () => {
  it('is written while a send is served, and the answer waits for it', async () => {
    const { app, deps, keys } = await buildTestApp();
    const writes: (() => void)[] = [];
    deps.tenants.touchApiKey = () => new Promise<void>((resolve) => { writes.push(resolve); });

    const answer = Promise.resolve(sendJson(app, keys.acme, aSendRequest()));
    // The message is sealed, stored and mailed while the write is still running…
    await expect.poll(() => deps.notifier.sent.length).toBe(1);
    expect(deps.store.heads.size).toBe(1);
    expect(writes).toHaveLength(1);
    // …and the answer goes only once it is done.
    expect(await settled(answer)).toBe(false);
    writes[0]?.();
    expect((await answer).status).toBe(201);
  });

  it('holds a refusal too until the write is done, and answers it as ever', async () => {
    const { app, deps, keys } = await buildTestApp();
    const writes: (() => void)[] = [];
    deps.tenants.touchApiKey = () => new Promise<void>((resolve) => { writes.push(resolve); });

    const answer = Promise.resolve(sendJson(app, keys.acme, { ...aSendRequest(), to: [] }));
    await expect.poll(() => writes.length).toBe(1);
    expect(await settled(answer)).toBe(false);
    writes[0]?.();
    const refused = await answer;
    expect(refused.status).toBe(422);
    expect(refused.headers.get('Content-Type')).toBe('application/problem+json');
    expect(deps.store.heads.size).toBe(0);
  });

  it('answers a request even when the write fails', async () => {
    const { app, deps, keys } = await buildTestApp();
    deps.tenants.touchApiKey = async () => { throw new Error('DynamoDB is unavailable'); };

    expect((await sendJson(app, keys.acme, aSendRequest())).status).toBe(201);
  });
});
