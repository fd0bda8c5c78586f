/**
 * A tenant's brand assets, served from our own origin: the logo (by content digest) and a theme
 * stylesheet carrying the primary colour, so branded pages need neither third-party requests nor
 * inline style. Both are read-only and public (they are shown to anyone holding a pickup link, and
 * in notification emails).
 */
import { Hono } from 'hono';
import { isWellFormedTenantId, type Tenant, type TenantAdmin, type TenantDirectory } from '../../core/tenants/index.ts';
import type { AppEnv } from '../types.ts';

export interface BrandRoutesDeps {
  readonly tenants: TenantDirectory & Pick<TenantAdmin, 'getLogo'>;
}

/**
 * Extra policy for a logo opened directly (not as an <img>): an SVG document then runs as a page of
 * our origin, so it gets no script, no fetches and a sandbox, whatever the sanitizer missed. The
 * global security-headers middleware is to add its own policy next to this one (both are enforced).
 */
export const LOGO_CSP = "default-src 'none'; style-src 'unsafe-inline'; sandbox";
const IMMUTABLE = 'public, max-age=31536000, immutable';
const HEX = /^#[0-9a-f]{6}$/i;

/** Where a tenant's theme stylesheet is served; `revision` versions it (the tenant's settings revision). */
export function themePath(tenantId: string, revision: number): string {
  return `/brand/${encodeURIComponent(tenantId)}/theme.css?v=${revision}`;
}

/** The tenant's validated primary colour, or undefined (re-checked: it goes into CSS). */
export function primaryColorOf(tenant: Tenant): string | undefined {
  const color = tenant.settings.brand.primaryColor;
  return color !== undefined && HEX.test(color) ? color.toLowerCase() : undefined;
}

/** `hex` mixed with black: the hover shade of a button, keeping white text readable. */
function darken(hex: string, amount: number): string {
  const n = Number.parseInt(hex.slice(1), 16);
  const mix = (shift: number) => Math.round(((n >> shift) & 0xff) * (1 - amount)).toString(16).padStart(2, '0');
  return `#${mix(16)}${mix(8)}${mix(0)}`;
}

/** The theme stylesheet: custom properties that web/pickup.css reads (with its own defaults). */
export function themeCss(color: string): string {
  return `:root{--brand:${color};--brand-hover:${darken(color, 0.15)};--brand-text:#ffffff}\n`;
}

export function brandRoutes(deps: BrandRoutesDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  const enabledTenant = async (tenantId: string): Promise<Tenant | undefined> => {
    // A tenant id's shape, checked before any read: nothing else a request names reaches the portal's tenant cache.
    if (!isWellFormedTenantId(tenantId)) return undefined;
    const tenant = await deps.tenants.getTenant(tenantId);
    return tenant && !tenant.disabled ? tenant : undefined;
  };

  app.get('/brand/:tenantId/logo/:digest', async (c) => {
    const digest = c.req.param('digest');
    const tenant = await enabledTenant(c.req.param('tenantId'));
    // Only the logo the tenant shows now: an old or other tenant's version is not ours to serve.
    const logo = tenant?.settings.brand.logo;
    if (!tenant || !logo || logo.digest !== digest) return c.notFound();
    const bytes = await deps.tenants.getLogo(tenant.id, digest);
    if (!bytes) return c.notFound();
    return c.body(bytes as Uint8Array<ArrayBuffer>, 200, {
      'Content-Type': logo.contentType,
      'Cache-Control': IMMUTABLE,
      'Content-Disposition': 'inline',
      // Notification emails show the logo from webmail pages of other origins.
      'Cross-Origin-Resource-Policy': 'cross-origin',
      ...(logo.contentType === 'image/svg+xml' ? { 'Content-Security-Policy': LOGO_CSP } : {}),
    });
  });

  app.get('/brand/:tenantId/theme.css', async (c) => {
    const tenant = await enabledTenant(c.req.param('tenantId'));
    const color = tenant && primaryColorOf(tenant);
    if (!tenant || !color) return c.notFound();
    // Cached for good only under the current revision: a URL naming a future revision must not pin today's colour.
    const current = c.req.query('v') === String(tenant.revision);
    return c.body(themeCss(color), 200, {
      'Content-Type': 'text/css; charset=utf-8',
      'Cache-Control': current ? IMMUTABLE : 'no-cache',
    });
  });

  return app;
}
