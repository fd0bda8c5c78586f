/**
 * Routing a path with a literal `*` segment. Hono's TrieRouter (app.ts) matches such a segment both
 * as itself and as the wildcard every middleware is mounted on, so without care each middleware ran
 * twice for it: two access-log lines for one request, an API key looked up twice. createApp routes
 * such a segment as the text it is: every middleware runs once, and the answer is what any path no
 * route serves gets.
 */
import { describe, expect, it, vi } from 'vitest';
import { SECURITY_HEADERS } from '../../functions/http/middleware/security-headers.ts';
import { buildTestApp } from '../helpers/builders.ts';

const requestLines = (lines: readonly string[]) => lines.filter((line) => JSON.parse(line).event === 'request');

describe('a path with a literal * segment', () => {
  it.each(['/*', '/%2A', '/v1/*', '/m/*/*', '/inbox/api/t/*'])('%s runs each middleware once and answers a plain 404', async (path) => {
    const { app, deps } = await buildTestApp();
    const before = requestLines(deps.logger.lines).length;
    const response = await app.request(path);
    expect(response.status).toBe(404);
    expect(requestLines(deps.logger.lines).length - before).toBe(1);
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) expect(response.headers.get(name), name).toBe(value);
  });

  it('looks an API key up once for an admin path ending in *', async () => {
    const { app, deps, adminKeys } = await buildTestApp();
    const lookups = vi.spyOn(deps.tenants, 'getApiKey');
    const response = await app.request('/v1/admin/*', { headers: { Authorization: `Bearer ${adminKeys.acme}` } });
    expect(response.status).toBe(404);
    expect(lookups).toHaveBeenCalledTimes(1);
  });

  it('still routes a * that is a parameter\'s value: /m/* is the page of a message that does not exist, like any other', async () => {
    const { app, deps } = await buildTestApp();
    const unknown = await app.request('/m/abc');
    const star = await app.request('/m/*');
    expect(star.status).toBe(unknown.status);
    expect(await star.text()).toBe(await unknown.text());
    expect(requestLines(deps.logger.lines)).toHaveLength(2);
  });
});
