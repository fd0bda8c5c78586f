/**
 * In AWS the API's own execute-api endpoint is closed: only requests that carry the secret
 * CloudFront adds get past the first middleware, so only they are believed about the viewer's IP.
 */
import { describe, expect, it } from 'vitest';
import { createApp } from '../../functions/http/app.ts';
import { apiGroup } from '../../functions/http/api-routes.ts';
import { aSendRequest, buildTestApp } from '../helpers/builders.ts';

const SECRET = 'e'.repeat(24) + 'dge-secret-of-the-deployment';

async function guarded(edgeSecret?: string) {
  const t = await buildTestApp();
  const app = createApp({ logger: t.deps.logger, api: t.deps, ...(edgeSecret ? { edgeSecret } : {}) }, apiGroup);
  const send = (headers: Record<string, string>) => app.request('/v1/messages', {
    method: 'POST', headers: { Authorization: `Bearer ${t.keys.acme}`, 'Content-Type': 'application/json', ...headers }, body: JSON.stringify(aSendRequest()),
  });
  const created = () => t.deps.events.events.filter((e) => e.type === 'created');
  return { ...t, app, send, created };
}

describe('the edge guard', () => {
  it('refuses every request without the edge secret, or with a wrong one, with a 403 problem and the security headers, before any route runs', async () => {
    const { app, send, created, deps } = await guarded(SECRET);

    const missing = await send({});
    const wrong = await send({ 'X-Sealpost-Edge-Secret': SECRET.slice(0, -1) + 'X' });
    const health = await app.request('/healthz');

    for (const response of [missing, wrong, health]) {
      expect(response.status).toBe(403);
      expect(response.headers.get('Content-Type')).toBe('application/problem+json');
      expect(response.headers.get('Content-Security-Policy')).toContain("default-src 'none'");
      expect(await response.text()).not.toContain(SECRET);
    }
    expect(created()).toEqual([]);
    expect(deps.notifier.sent).toEqual([]);
  });

  it('believes the viewer address CloudFront reports only on a request that carries the edge secret', async () => {
    const { send, created } = await guarded(SECRET);

    const response = await send({ 'X-Sealpost-Edge-Secret': SECRET, 'X-Sealpost-Viewer-Ip': '203.0.113.7' });

    expect(response.status).toBe(201);
    expect(created().map((e) => e.sourceIp)).toEqual(['203.0.113.7']);
  });

  it('ignores a viewer address header when no edge secret is configured (npm start: the socket tells)', async () => {
    const { send, created } = await guarded();

    const response = await send({ 'X-Sealpost-Viewer-Ip': '203.0.113.7' });

    expect(response.status).toBe(201);
    expect(created().map((e) => e.sourceIp)).toEqual([undefined]);
  });
});
