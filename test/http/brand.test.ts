import { describe, expect, it } from 'vitest';
import { LOGO_CSP, brandRoutes, themeCss } from '../../functions/http/routes/brand.ts';
import { aBrandedTenant, aPng, SIMPLE_SVG, svgBytes, withLogo } from '../helpers/brand-fakes.ts';
import { aTenant } from '../helpers/builders.ts';
import { InMemoryTenantDirectory } from '../helpers/fakes.ts';

function setup() {
  const tenants = new InMemoryTenantDirectory();
  const acme = withLogo(tenants, aBrandedTenant({ revision: 7 }), svgBytes(SIMPLE_SVG), 'image/svg+xml');
  const other = withLogo(tenants, aTenant({ id: 'other' }), aPng(), 'image/png');
  const app = brandRoutes({ tenants });
  return { app, tenants, acme, other };
}

describe('GET /brand/:tenantId/logo/:digest', () => {
  it('serves the current SVG logo with its type, an immutable cache and a sandboxing policy', async () => {
    const { app, tenants, acme } = setup();
    const digest = acme.settings.brand.logo!.digest;

    const res = await app.request(`/brand/acme/logo/${digest}`);

    expect(res.status).toBe(200);
    expect(res.headers.get('Content-Type')).toBe('image/svg+xml');
    expect(res.headers.get('Cache-Control')).toBe('public, max-age=31536000, immutable');
    expect(res.headers.get('Content-Disposition')).toBe('inline');
    expect(res.headers.get('Cross-Origin-Resource-Policy')).toBe('cross-origin');
    expect(res.headers.get('Content-Security-Policy')).toBe(LOGO_CSP);
    expect(LOGO_CSP).toMatch(/default-src 'none'.*sandbox/);
    expect(new Uint8Array(await res.arrayBuffer())).toEqual(tenants.logos.get(`acme/${digest}`));
  });

  it('serves a PNG logo as image/png without the SVG policy', async () => {
    const { app, other } = setup();

    const res = await app.request(`/brand/other/logo/${other.settings.brand.logo!.digest}`);

    expect(res.status).toBe(200);
    expect(res.headers.get('Content-Type')).toBe('image/png');
    expect(res.headers.get('Content-Security-Policy')).toBeNull();
  });

  it('answers 404 for an old digest, another tenant\'s digest, an unknown tenant and a disabled tenant', async () => {
    const { app, tenants, acme, other } = setup();
    const oldDigest = acme.settings.brand.logo!.digest;
    withLogo(tenants, acme, aPng({ rgb: [1, 2, 3] }), 'image/png'); // replaces the logo; the old bytes are still stored
    const disabled = aBrandedTenant({ id: 'gone', disabled: true });
    withLogo(tenants, disabled, aPng(), 'image/png');

    const statuses = await Promise.all([
      app.request(`/brand/acme/logo/${oldDigest}`),
      app.request(`/brand/acme/logo/${other.settings.brand.logo!.digest}`),
      app.request(`/brand/nobody/logo/${oldDigest}`),
      app.request(`/brand/gone/logo/${tenants.tenants.get('gone')!.settings.brand.logo!.digest}`),
    ].map(async (r) => (await r).status));

    expect(tenants.logos.has(`acme/${oldDigest}`)).toBe(true);
    expect(statuses).toEqual([404, 404, 404, 404]);
  });

  it('answers 404 when the settings name a logo whose bytes are missing', async () => {
    const { app, tenants, acme } = setup();
    const digest = acme.settings.brand.logo!.digest;
    tenants.logos.delete(`acme/${digest}`);

    expect((await app.request(`/brand/acme/logo/${digest}`)).status).toBe(404);
  });
});

describe('GET /brand/:tenantId/theme.css', () => {
  it('serves the tenant colour as custom properties, cached for good under the current revision', async () => {
    const { app } = setup();

    const res = await app.request('/brand/acme/theme.css?v=7');

    expect(res.status).toBe(200);
    expect(res.headers.get('Content-Type')).toBe('text/css; charset=utf-8');
    expect(res.headers.get('Cache-Control')).toBe('public, max-age=31536000, immutable');
    expect(await res.text()).toBe(':root{--brand:#0f766e;--brand-hover:#0d645e;--brand-text:#ffffff}\n');
  });

  it('is not cached for good under another revision, so a guessed future URL cannot pin today\'s colour', async () => {
    const { app } = setup();

    const res = await app.request('/brand/acme/theme.css?v=8');

    expect(res.status).toBe(200);
    expect(res.headers.get('Cache-Control')).toBe('no-cache');
  });

  it('answers 404 for a tenant without a colour, with a colour that is not #rrggbb, unknown or disabled', async () => {
    const { app, tenants } = setup();
    tenants.tenants.set('odd', aTenant({ id: 'odd', settings: { brand: { primaryColor: 'red;}body{background:url(//x)' } } }));
    tenants.tenants.set('off', aBrandedTenant({ id: 'off', disabled: true }));

    const statuses = await Promise.all(['other', 'odd', 'nobody', 'off'].map(async (id) => (await app.request(`/brand/${id}/theme.css?v=1`)).status));

    expect(statuses).toEqual([404, 404, 404, 404]);
  });
});

describe('themeCss', () => {
  it('darkens the hover shade and never contains anything but the colours', () => {
    expect(themeCss('#1d4ed8')).toBe(':root{--brand:#1d4ed8;--brand-hover:#1942b8;--brand-text:#ffffff}\n');
  });
});

describe('a brand route\'s tenant id', () => {
  it('is checked for a tenant id\'s shape before any read, so no request fills the portal\'s tenant cache with ids of its own', async () => {
    const { app, tenants, acme } = setup();
    const read: string[] = [];
    const getTenant = tenants.getTenant.bind(tenants);
    tenants.getTenant = async (id: string) => { read.push(id); return getTenant(id); };

    const answers = await Promise.all(['/brand/a%20b/theme.css', `/brand/${'x'.repeat(65)}/theme.css`, '/brand/%00/logo/abc'].map((p) => app.request(p)));
    expect(answers.map((a) => a.status)).toEqual([404, 404, 404]);
    expect(read).toEqual([]);
    expect((await app.request(`/brand/${acme.id}/theme.css`)).status).toBe(200);
    expect(read).toEqual([acme.id]);
  });
});
