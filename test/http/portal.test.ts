import { describe, expect, it } from 'vitest';
import { deriveAccessToken, deriveLinkToken } from '../../functions/core/protocol/index.ts';
import type { Tenant } from '../../functions/core/tenants/index.ts';
import { DependencyError } from '../../functions/core/shared/index.ts';
import { createApp } from '../../functions/http/app.ts';
import { apiGroup } from '../../functions/http/api-routes.ts';
import { portalGroup } from '../../functions/http/portal-routes.ts';
import { aSendRequest, aTenant, buildTestApp, parseLink, sendJson, TEST_WEB } from '../helpers/builders.ts';
import { aBrandedTenant, aPng, withLogo } from '../helpers/brand-fakes.ts';
import { readFileSync } from 'node:fs';

async function sendOne(options: { expiresInDays?: number } = {}) {
  const ctx = await buildTestApp();
  const res = await sendJson(ctx.app, ctx.keys.acme, aSendRequest({ to: ['alice@example.com', 'bob@example.com'], ...options }));
  const { id } = await res.json() as { id: string };
  const links = ctx.deps.notifier.sent.map((n) => parseLink(n.text));
  return { ...ctx, id, links };
}

/** Opens with a recipient's secret (link and access token derived as the page does), or with a malformed one as given. */
async function open(app: { request: (p: string, i?: RequestInit) => Response | Promise<Response> }, id: string, secret: string) {
  const body = /^[A-Za-z0-9_-]{43}$/.test(secret) ? { link: await deriveLinkToken(secret), token: await deriveAccessToken(secret) } : { token: secret };
  return app.request(`/m/${id}/open`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
}

function snapshot(deps: Awaited<ReturnType<typeof sendOne>>['deps']) {
  return JSON.stringify({ heads: [...deps.store.heads.entries()], events: deps.events.events.length, chunks: [...deps.store.chunks.keys()] });
}

describe('GET /m/:id', () => {
  it('returns one neutral page for expired, revoked, unknown and malformed ids, and changes nothing', async () => {
    const { app, deps, keys, id, clock } = await sendOne({ expiresInDays: 1 });
    const before = snapshot(deps);

    const valid = await (await app.request(`/m/${id}`)).text();
    const unknown = await (await app.request('/m/AAAAAAAAAAAAAAAAAAAAAA')).text();
    const garbage = await (await app.request('/m/%3Cscript%3E')).text();
    clock.advanceDays(2);
    const expired = await (await app.request(`/m/${id}`)).text();
    clock.advanceDays(-2);
    await app.request(`/v1/messages/${id}`, { method: 'DELETE', headers: { Authorization: `Bearer ${keys.acme}` } });
    const afterRevoke = snapshot(deps);
    const revoked = await (await app.request(`/m/${id}`)).text();

    expect(new Set([unknown, garbage, expired, revoked])).toEqual(new Set([TEST_WEB.pickupPage]));
    // The live message's page carries its sender's brand (ids are 128-bit random: not an oracle worth having).
    expect(valid).toContain('<title>Secure message from Acme Health</title>');
    expect(snapshot(deps)).toBe(afterRevoke);
    expect(before).not.toBe(afterRevoke);
  });

  it('does not record an open when the page is fetched', async () => {
    const { app, deps, id } = await sendOne();

    await app.request(`/m/${id}`);
    await app.request(`/m/${id}`, { method: 'HEAD' });

    expect(deps.events.events.filter((e) => e.type === 'opened')).toHaveLength(0);
    expect(deps.store.heads.get(id)?.recipients.every((r) => r.opens === 0)).toBe(true);
  });
});

/** The real page template, as web/build.ts copies it. */
const PICKUP_HTML = readFileSync(new URL('../../web/pickup.html', import.meta.url), 'utf8');
/** What every id without a live message gets: the neutral page, told there is nothing to open (and nothing else). */
const UNAVAILABLE_HTML = PICKUP_HTML.replace('<!--page:state--><!--/page:state-->', '<meta name="pickup-message" content="unavailable">');

/** A portal serving the real template, with tenant "acme" branded (escaped-looking name, colour, logo, hostname). */
async function brandedPortal(acmeOverrides: Parameters<typeof aBrandedTenant>[0] = {}) {
  const ctx = await buildTestApp({ tenants: [aBrandedTenant(acmeOverrides), aTenant({ id: 'other', settings: { displayName: 'Other Org', senderAddress: 'x@other.example' } })] });
  const acme = withLogo(ctx.deps.tenants, ctx.deps.tenants.tenants.get('acme')!, aPng(), 'image/png');
  ctx.deps.tenants.hosts.set('secure.acme.example', 'acme');
  const app = createApp({ logger: ctx.deps.logger, api: ctx.deps, portal: { ...ctx.deps, web: { ...TEST_WEB, pickupPage: PICKUP_HTML } } }, apiGroup, portalGroup);
  const send = async (tenant: string) => {
    const res = await sendJson(app, ctx.keys[tenant], aSendRequest());
    return (await res.json() as { id: string }).id;
  };
  return { ...ctx, app, acme, send };
}

const brandState = (deps: Awaited<ReturnType<typeof buildTestApp>>['deps']) =>
  JSON.stringify({ heads: [...deps.store.heads.entries()], events: deps.events.events, tenants: [...deps.tenants.tenants.entries()], logos: [...deps.tenants.logos.keys()] });

function expectAcmeBrand(page: string, acme: Tenant): void {
  const name = '&lt;b&gt;Acme &amp; Co&lt;/b&gt;';
  expect(page).toContain(`<title>Secure message from ${name}</title>`);
  expect(page).toContain(`<img class="brand-logo" src="/brand/acme/logo/${acme.settings.brand.logo!.digest}" alt="${name}">`);
  expect(page).toContain(`<link rel="stylesheet" href="/brand/acme/theme.css?v=${acme.revision}">`);
  expect(page).toContain(`${name} sent you a secure message</h1>`);
  expect(page).not.toContain('<b>Acme');
  // The tenant's brand only: sealpost appears once, in the "Secured by" footer.
  expect(page.match(/sealpost/gi)).toEqual(['sealpost']);
  expect(page).toContain('<footer class="footer">Secured by sealpost</footer>');
}

describe('GET /m/:id branding', () => {
  it('brands a tenant\'s own message on its hostname (any case, any port), uncached, under the page CSP', async () => {
    const { app, acme, send } = await brandedPortal();
    const id = await send('acme');

    const res = await app.request(`http://Secure.ACME.example:8443/m/${id}`);

    expect(res.status).toBe(200);
    expect(res.headers.get('Cache-Control')).toBe('no-store');
    expect(res.headers.get('Content-Security-Policy')).toContain("script-src 'self'");
    expectAcmeBrand(await res.text(), acme);
  });

  it('never brands by the hostname alone: an unknown id on a tenant\'s hostname, or in the viewer host CloudFront forwards, is neutral', async () => {
    const { app, acme, send } = await brandedPortal();
    const id = await send('acme');

    const unknownOnHost = await (await app.request('http://secure.acme.example/m/AAAAAAAAAAAAAAAAAAAAAA')).text();
    const forwarded = await app.request('https://abc123.execute-api.us-east-1.amazonaws.com/m/AAAAAAAAAAAAAAAAAAAAAA', { headers: { 'X-Sealpost-Viewer-Host': 'secure.acme.example' } });
    const ownForwarded = await app.request(`https://abc123.execute-api.us-east-1.amazonaws.com/m/${id}`, { headers: { 'X-Sealpost-Viewer-Host': 'secure.acme.example' } });

    expect(unknownOnHost).toBe(UNAVAILABLE_HTML);
    expect(await forwarded.text()).toBe(UNAVAILABLE_HTML);
    expectAcmeBrand(await ownForwarded.text(), acme);
  });

  it('gives another tenant\'s message the neutral page on a tenant\'s hostname, naming no tenant, with what opening needs', async () => {
    const { app, deps, send } = await brandedPortal();
    const id = await send('other');
    await deps.tenants.updateSettings('other', deps.tenants.tenants.get('other')!.revision, { ...deps.tenants.tenants.get('other')!.settings, messageCenter: true });
    const mc = await send('other');

    const page = await (await app.request(`http://secure.acme.example/m/${id}`)).text();
    const forwarded = await (await app.request(`https://abc123.execute-api.us-east-1.amazonaws.com/m/${mc}`, { headers: { 'X-Sealpost-Viewer-Host': 'secure.acme.example' } })).text();

    for (const html of [page, forwarded]) {
      expect(html).not.toMatch(/Acme|Other Org|\/brand\/|data-tenant/);
      expect(html).toContain('A secure message is waiting for you');
    }
    expect(forwarded).toContain('The sender&#39;s Message Center can also open this message.');
  });

  it('ignores a hostname claimed before the rules that no tenant could be given today (an IP address, the portal\'s own host)', async () => {
    const { app, deps, send } = await brandedPortal();
    const id = await send('other');
    for (const host of ['127.0.0.1', 'portal.test']) {
      deps.tenants.hosts.set(host, 'acme');
      deps.tenants.tenants.set('acme', { ...deps.tenants.tenants.get('acme')!, settings: { ...deps.tenants.tenants.get('acme')!.settings, portalHostnames: ['secure.acme.example', host] } });
    }

    const onIp = await (await app.request(`http://127.0.0.1/m/${id}`)).text();
    const onPortal = await (await app.request(`http://portal.test/m/${id}`)).text();

    expect(onIp).toContain('<span class="brand-name">Other Org</span>');
    expect(onPortal).toContain('<span class="brand-name">Other Org</span>');
  });

  it('brands the page by the message\'s tenant on a shared hostname', async () => {
    const { app, acme, send } = await brandedPortal();
    const acmeId = await send('acme');
    const otherId = await send('other');

    const acmePage = await (await app.request(`http://portal.test/m/${acmeId}`)).text();
    const otherPage = await (await app.request(`http://portal.test/m/${otherId}`)).text();

    expectAcmeBrand(acmePage, acme);
    expect(otherPage).toContain('<span class="brand-name">Other Org</span>');
    expect(otherPage).toContain('<title>Secure message from Other Org</title>');
    expect(otherPage).not.toContain('theme.css'); // no colour, no stylesheet
  });

  it('serves the neutral "unavailable" page for an unknown hostname and id, a disabled tenant, and a released hostname', async () => {
    const { app, deps, send } = await brandedPortal();
    const id = await send('acme');

    const unknown = await (await app.request('http://elsewhere.example/m/AAAAAAAAAAAAAAAAAAAAAA')).text();
    deps.tenants.hosts.delete('secure.acme.example');
    const released = await (await app.request('http://secure.acme.example/m/AAAAAAAAAAAAAAAAAAAAAA')).text();
    await deps.tenants.setDisabled('acme', true);
    const disabledByMessage = await (await app.request(`http://portal.test/m/${id}`)).text();

    expect(new Set([unknown, released, disabledByMessage])).toEqual(new Set([UNAVAILABLE_HTML]));
    expect(UNAVAILABLE_HTML.match(/sealpost/gi)).toEqual(['sealpost']);
    expect(PICKUP_HTML).toContain('A secure message is waiting for you');
  });

  it('inserts a name with HTML and replacement patterns as plain text', async () => {
    const { app, send } = await brandedPortal({ settings: { displayName: '"><script>alert(1)</script> $& $1 $` Ltd' } });
    const id = await send('acme');

    const page = await (await app.request(`http://secure.acme.example/m/${id}`)).text();

    expect(page).toContain('<title>Secure message from &quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt; $&amp; $1 $` Ltd</title>');
    expect(page).not.toContain('<script>alert(1)');
    expect(page.match(/<script/g)).toHaveLength(1); // the page's own module
  });

  it('only reads: fetching branded pages changes no message, event, tenant or logo', async () => {
    const { app, deps, send } = await brandedPortal();
    const id = await send('acme');
    const before = brandState(deps);

    await app.request(`http://portal.test/m/${id}`);
    await app.request(`http://secure.acme.example/m/${id}`);
    await app.request(`http://portal.test/m/${id}`, { method: 'HEAD' });

    expect(brandState(deps)).toBe(before);
  });

  it('falls back to the neutral page, and logs, when the brand lookup fails', async () => {
    const { app, deps, send } = await brandedPortal();
    const id = await send('acme');
    deps.store.getHead = async () => { throw new Error('dynamodb is down'); };

    const res = await app.request(`http://portal.test/m/${id}`);

    expect(res.status).toBe(200);
    expect(await res.text()).toBe(PICKUP_HTML);
    expect(deps.logger.lines.some((l) => l.includes('portal_brand_lookup_failed') && l.includes('dynamodb is down'))).toBe(true);
  });
});

describe('POST /m/:id/open', () => {
  it('returns the ciphertext that the recipient\'s secret opens, and records the open for that recipient', async () => {
    const { app, deps, id, links } = await sendOne();
    const bob = links[1]!;

    const res = await open(app, id, bob.secret);

    expect(res.status).toBe(200);
    expect(res.headers.get('Content-Type')).toBe('application/octet-stream');
    expect(res.headers.get('Cache-Control')).toBe('no-store');
    const mime = new TextDecoder().decode(await deps.sealer.open(new Uint8Array(await res.arrayBuffer()), bob.secret));
    expect(mime).toContain('Your results are ready.');
    const opened = deps.events.events.filter((e) => e.type === 'opened');
    expect(opened.map((e) => e.recipient)).toEqual(['bob@example.com']);
    expect(deps.store.heads.get(id)?.recipients.map((r) => r.opens)).toEqual([0, 1]);
  });

  it('answers one identical "not available" for a wrong token, an unknown id, an expired and a revoked message', async () => {
    const { app, keys, id, links, clock } = await sendOne({ expiresInDays: 1 });
    const token = links[0]!.secret;
    const strip = async (res: Response) => {
      expect(res.status).toBe(404);
      expect(res.headers.get('Content-Type')).toBe('application/problem+json');
      const { requestId: _r, ...rest } = await res.json() as Record<string, unknown>;
      return JSON.stringify(rest);
    };

    const wrongToken = await strip(await open(app, id, 'A'.repeat(43)));
    const malformedToken = await strip(await open(app, id, 'short'));
    const unknownId = await strip(await open(app, 'AAAAAAAAAAAAAAAAAAAAAA', token));
    clock.advanceDays(2);
    const expired = await strip(await open(app, id, token));
    clock.advanceDays(-2);
    await app.request(`/v1/messages/${id}`, { method: 'DELETE', headers: { Authorization: `Bearer ${keys.acme}` } });
    const revoked = await strip(await open(app, id, token));

    expect(new Set([wrongToken, malformedToken, unknownId, expired, revoked]).size).toBe(1);
    expect(wrongToken).toMatch(/not available/);
  });

  it('counts every open but writes one event per recipient per hour ("opened", then "revealed"), so repeats cannot flood the trail', async () => {
    const { app, deps, id, links, clock } = await sendOne();
    const token = links[0]!.secret;

    for (let i = 0; i < 3; i++) expect((await open(app, id, token)).status).toBe(200);
    clock.advanceDays(1 / 24);
    expect((await open(app, id, token)).status).toBe(200);

    expect(deps.store.heads.get(id)?.recipients[0]?.opens).toBe(4);
    expect(deps.events.events.filter((e) => e.type === 'opened' || e.type === 'revealed').map((e) => e.type)).toEqual(['opened', 'revealed']);
  });

  it('serves a large ciphertext in parts, counting one open, and refuses a part that does not exist', async () => {
    const { app, deps, id, links } = await sendOne();
    deps.store.partBytes = 100;
    const secret = links[0]!.secret;
    const credentials = { link: await deriveLinkToken(secret), token: await deriveAccessToken(secret) };
    const partOf = (part: number) => app.request(`/m/${id}/open`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ ...credentials, part }) });

    const first = await open(app, id, secret);
    const parts = Number(first.headers.get('Sealpost-Parts'));
    const rest = await Promise.all(Array.from({ length: parts - 1 }, (_, i) => partOf(i + 1)));
    const beyond = await partOf(parts);

    expect(parts).toBeGreaterThan(2);
    const all = Buffer.concat(await Promise.all([first, ...rest].map(async (r) => Buffer.from(await r.arrayBuffer()))));
    expect(new TextDecoder().decode(await deps.sealer.open(new Uint8Array(all), links[0]!.secret))).toContain('Your results are ready.');
    expect(beyond.status).toBe(404);
    expect(deps.events.events.filter((e) => e.type === 'opened')).toHaveLength(1);
  });

  it('answers 503, not "not available", when the ciphertext cannot be read right now, and 404 when a chunk is missing', async () => {
    const { app, deps, id, links } = await sendOne();
    // An open reads the head and its one chunk in one request (readForOpen).
    const readForOpen = deps.store.readForOpen.bind(deps.store);
    deps.store.readForOpen = async () => { throw new DependencyError('The message store is not reachable right now. Try again shortly.', 'fake'); };

    const unreachable = await open(app, id, links[0]!.secret);
    deps.store.readForOpen = readForOpen;
    deps.store.chunks.delete(id);
    const missing = await open(app, id, links[1]!.secret);

    expect(unreachable.status).toBe(503);
    expect(((await unreachable.json()) as { type: string }).type).toBe('urn:sealpost:problem:dependency');
    expect(missing.status).toBe(404);
    expect(deps.store.heads.get(id)?.recipients.map((r) => r.opens)).toEqual([0, 0]);
  });

  it('rejects a body without a token as a 422 problem', async () => {
    const { app, id } = await sendOne();

    const res = await app.request(`/m/${id}/open`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}' });

    expect(res.status).toBe(422);
  });
});

describe('security headers', () => {
  it('are on every response: page, asset, API, problem, 404 and 401', async () => {
    const { app, id, keys } = await sendOne();
    const responses = await Promise.all([
      app.request(`/m/${id}`),
      app.request('/assets/pickup.js'),
      app.request(`/v1/messages/${id}`, { headers: { Authorization: `Bearer ${keys.acme}` } }),
      app.request('/v1/messages', { method: 'POST' }),
      app.request('/nowhere'),
      app.request('/assets/missing.js'),
      open(app, id, 'x'),
    ]);

    for (const res of responses) {
      const csp = res.headers.get('Content-Security-Policy') ?? '';
      expect(csp).toContain("script-src 'self'");
      expect(csp).not.toMatch(/script-src[^;]*unsafe-inline/);
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).toContain("default-src 'none'");
      expect(res.headers.get('Referrer-Policy')).toBe('no-referrer');
      expect(res.headers.get('X-Content-Type-Options')).toBe('nosniff');
      expect(res.headers.get('Strict-Transport-Security')).toMatch(/max-age=\d{8}/);
      expect(res.headers.get('X-Request-Id')).toMatch(/^[0-9a-f-]{36}$/);
    }
    expect(responses[2]!.headers.get('Cache-Control')).toBe('no-store');
    expect(responses[4]!.status).toBe(404);
    expect(responses[4]!.headers.get('Content-Type')).toBe('application/problem+json');
  });

  it('answers 405 with Allow for a known address asked with the wrong method', async () => {
    const { app, id, keys } = await sendOne();
    const auth = { Authorization: `Bearer ${keys.acme}` };

    const cases = await Promise.all([
      app.request('/v1/messages', { method: 'PUT', headers: auth }),
      app.request(`/v1/messages/${id}`, { method: 'PUT', headers: auth }),
      app.request(`/m/${id}/open`),
      app.request(`/m/${id}`, { method: 'POST' }),
    ]);

    expect(cases.map((r) => [r.status, r.headers.get('Allow'), r.headers.get('Content-Type')])).toEqual([
      [405, 'GET, POST', 'application/problem+json'],
      [405, 'GET, PATCH, DELETE', 'application/problem+json'],
      [405, 'POST', 'application/problem+json'],
      [405, 'GET', 'application/problem+json'],
    ]);
  });

  it('never echoes a presented API key in an error body', async () => {
    const { app } = await buildTestApp();
    const key = 'sp_this_is_a_wrong_key_with_enough_length';

    const res = await app.request('/v1/messages', { method: 'POST', headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' }, body: '{}' });

    expect(res.status).toBe(401);
    expect(await res.text()).not.toContain(key);
  });
});
