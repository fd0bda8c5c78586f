/**
 * The portal-hostname takeover an attacker found: a second tenant put the deployment's own host, an
 * IP literal or the CloudFront domain into portalHostnames, and from then on every tenant's pages
 * carried its brand. Each step of that attack, refused.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createApp } from '../../functions/http/app.ts';
import { apiGroup } from '../../functions/http/api-routes.ts';
import { portalGroup } from '../../functions/http/portal-routes.ts';
import { approveHostname } from '../../functions/core/tenants/index.ts';
import { TEST_WEB, aSendRequest, buildTestApp, sendJson } from '../helpers/builders.ts';

const PICKUP_HTML = readFileSync(new URL('../../web/pickup.html', import.meta.url), 'utf8');

async function attackerWorld() {
  const t = await buildTestApp();
  const app = createApp({ logger: t.deps.logger, api: t.deps, portal: { ...t.deps, web: { ...TEST_WEB, pickupPage: PICKUP_HTML } } }, apiGroup, portalGroup);
  const patch = (tenant: string, body: unknown) => app.request('/v1/admin/settings', {
    method: 'PATCH', headers: { Authorization: `Bearer ${t.adminKeys[tenant]}`, 'Content-Type': 'application/json' }, body: JSON.stringify(body),
  });
  const operator = { tenants: t.deps.tenants, events: t.deps.events, clock: t.deps.clock, logger: t.deps.logger };
  return { ...t, app, patch, operator };
}

describe('portal hostnames (the takeover)', () => {
  it.each([
    ['the deployment\'s own host', 'portal.test'],
    ['an IPv4 literal', '127.0.0.1'],
    ['a short IPv4 literal', '127.1'],
    ['a hexadecimal IPv4 literal', '0x7f.1'],
    ['an IPv6 literal', '[::1]'],
    ['the CloudFront default domain', 'd111111abcdef8.cloudfront.net'],
    ['the API default domain', 'abc123.execute-api.eu-west-1.amazonaws.com'],
    ['localhost', 'localhost'],
  ])('refuses %s with 422 and changes nothing', async (_what, hostname) => {
    const { patch, deps } = await attackerWorld();
    const before = JSON.stringify(deps.tenants.tenants.get('other'));

    const response = await patch('other', { portalHostnames: [hostname] });

    expect(response.status).toBe(422);
    expect(JSON.stringify(await response.json())).toContain('portalHostnames/0');
    expect(JSON.stringify(deps.tenants.tenants.get('other'))).toBe(before);
    expect(await deps.tenants.tenantForHostname(hostname)).toBeUndefined();
  });

  it('lets a hostname serve nothing until the operator approves it, and never lets it dress another tenant\'s message', async () => {
    const { app, patch, keys, operator } = await attackerWorld();
    const victim = (await (await sendJson(app, keys.acme, aSendRequest())).json() as { id: string }).id;
    const own = (await (await sendJson(app, keys.other, aSendRequest())).json() as { id: string }).id;

    const asked = await patch('other', { portalHostnames: ['secure.other.example'] });
    const pendingPage = await (await app.request(`http://secure.other.example/m/${own}`)).text();
    await approveHostname(operator, 'other', 'secure.other.example');
    const victimPage = await (await app.request(`http://secure.other.example/m/${victim}`)).text();
    const victimViaEdge = await (await app.request(`https://abc.execute-api.eu-west-1.amazonaws.com/m/${victim}`, { headers: { 'X-Sealpost-Viewer-Host': 'secure.other.example' } })).text();
    const ownPage = await (await app.request(`http://secure.other.example/m/${own}`)).text();

    expect(asked.status).toBe(200);
    expect(pendingPage).toContain('<span class="brand-name">Other Org</span>'); // its own message: by the message, not the host
    for (const page of [victimPage, victimViaEdge]) {
      expect(page).not.toContain('Other Org');
      expect(page).not.toContain('Acme Health');
    }
    expect(ownPage).toContain('<span class="brand-name">Other Org</span>');
  });

  it('refuses an approval of a name the tenant never asked for, or one that is not a public DNS name', async () => {
    const { operator } = await attackerWorld();

    await expect(approveHostname(operator, 'other', 'secure.other.example')).rejects.toThrow(/has not asked for/);
    await expect(approveHostname(operator, 'other', '127.1')).rejects.toThrow(/IP address/);
  });
});
