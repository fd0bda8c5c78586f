/**
 * The Message Center inbox: the page and its JSON API.
 *
 *   GET  /inbox, /inbox/:tenantId            the static inbox page, branded (a GET changes nothing)
 *   POST /inbox/api/:tenantId/sign-in        {email}        → 202 {sent: true}, always
 *   POST /inbox/api/:tenantId/verify         {email, code}  → 204 + the session cookie
 *   GET  /inbox/api/:tenantId/messages       (cookie)       → {messages: [...]}
 *   POST /inbox/api/:tenantId/messages/:id/open (cookie)    → {secret, grant?}, no-store
 *   POST /inbox/api/:tenantId/sign-out                      → 204, cookie cleared
 *
 * The session token travels only in an HttpOnly, Secure, SameSite=Strict cookie scoped to /inbox:
 * never in a URL, a body or a log line (the access log records route patterns only). Every POST
 * must be JSON and carry an Origin equal to the page's own: with SameSite=Strict that makes a
 * cross-site request useless twice over.
 */
import type { Context } from 'hono';
import { Hono } from 'hono';
import { getCookie } from 'hono/cookie';
import { ForbiddenError, describeError, escapeHtml } from '../../core/shared/index.ts';
import {
  SESSION_ABSOLUTE_MS, authenticateSession, listInbox, openFromInbox, requestSignIn, signOut, verifySignIn, type InboxDeps,
  type InboxAssets,
} from '../../core/message-center/index.ts';
import { isWellFormedTenantId, tenantOnHostname, type Tenant, type TenantDirectory } from '../../core/tenants/index.ts';
import { brandPageOf, type PageBrand } from '../pickup-page.ts';
import { methodNotAllowed, problem } from '../problem.ts';
import { VIEWER_HOST_HEADER, readJson, sourceIpOf, userAgentOf, viewerHostname } from '../request-info.ts';
import { SIGN_IN_BODY, VERIFY_BODY, parseBody } from '../portal-bodies.ts';
import type { AppEnv } from '../types.ts';

export type { InboxAssets };

export interface InboxRoutesDeps extends InboxDeps {
  readonly tenants: TenantDirectory;
  readonly inboxWeb: InboxAssets;
}

/**
 * The `__Host-` prefix makes the browser refuse this cookie unless it is Secure, has Path=/ and no
 * Domain: no other host — a sibling subdomain of the portal's domain, or a tenant's own hostname —
 * can set or overwrite it (session fixation by cookie tossing). Path=/ sends it to the portal's
 * other paths too, which read no cookie; HttpOnly keeps it from scripts, SameSite=Strict from
 * cross-site requests.
 */
export const INBOX_COOKIE = '__Host-sealpost_inbox';
const COOKIE_ATTRIBUTES = 'HttpOnly; Secure; SameSite=Strict; Path=/';

/** The Set-Cookie of a new session: its lifetime is the session's absolute timeout. */
export function sessionCookie(token: string): string {
  return `${INBOX_COOKIE}=${token}; ${COOKIE_ATTRIBUTES}; Max-Age=${SESSION_ABSOLUTE_MS / 1000}`;
}
export const CLEARED_COOKIE = `${INBOX_COOKIE}=; ${COOKIE_ATTRIBUTES}; Max-Age=0`;


const SLOT = /<!--brand:([a-z-]+)-->[\s\S]*?<!--\/brand:\1-->/g;

/**
 * The inbox page for a tenant (brand and its id in a meta tag, which the script reads), or the
 * neutral page as built. Everything the tenant typed is escaped; no inline style or script.
 */
export function renderInboxPage(template: string, tenant: { id: string; brand: PageBrand } | undefined): string {
  if (!tenant) return template;
  const name = escapeHtml(tenant.brand.name);
  const slots: Record<string, string> = {
    head: tenant.brand.themeUrl ? `<link rel="stylesheet" href="${escapeHtml(tenant.brand.themeUrl)}">` : '',
    tenant: `<meta name="sealpost-tenant" content="${escapeHtml(tenant.id)}">`,
    mark: tenant.brand.logoUrl ? `<img class="brand-logo" src="${escapeHtml(tenant.brand.logoUrl)}" alt="${name}">` : `<span class="brand-name">${name}</span>`,
    'signin-title': `Your secure messages from ${name}`,
  };
  return template
    .replace(/<title>[^<]*<\/title>/, () => `<title>Secure inbox · ${name}</title>`)
    .replace(SLOT, (whole, slot: string) => slots[slot] ?? whole);
}

/** The request's own origin as the viewer sees it (behind CloudFront, from the forwarded Host). */
function ownOrigin(c: Context): string {
  const url = new URL(c.req.url);
  return `${url.protocol}//${c.req.header(VIEWER_HOST_HEADER) ?? url.host}`;
}

export function inboxRoutes(deps: InboxRoutesDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const ctx = (c: Context) => ({ sourceIp: sourceIpOf(c), userAgent: userAgentOf(c) });

  const enabled = async (tenantId: string | undefined): Promise<Tenant | undefined> => {
    if (tenantId === undefined || !isWellFormedTenantId(tenantId)) return undefined;
    const tenant = await deps.tenants.getTenant(tenantId);
    return tenant && !tenant.disabled ? tenant : undefined;
  };

  /**
   * The tenant in the path always owns its inbox, whatever the hostname: a hostname only chooses
   * the inbox of /inbox without a tenant (that hostname's tenant's).
   */
  const pageTenant = async (c: Context, pathTenantId: string | undefined): Promise<Tenant | undefined> => {
    if (pathTenantId !== undefined) return enabled(pathTenantId);
    return tenantOnHostname(deps.tenants, viewerHostname(c), [new URL(deps.portalOrigin).hostname]);
  };

  const page = async (c: Context<AppEnv>) => {
    const template = deps.inboxWeb.inboxPage;
    if (template === undefined) return problem(c, 404, 'not-found', 'Not found', 'The inbox is not part of this deployment.');
    let tenant: Tenant | undefined;
    try {
      tenant = await pageTenant(c, c.req.param('tenantId'));
    } catch (error) {
      // Branding is cosmetic: the page then works from the tenant id in its path.
      deps.logger.warn('inbox_brand_lookup_failed', { error: describeError(error) });
    }
    const html = renderInboxPage(template, tenant && { id: tenant.id, brand: brandPageOf(tenant) });
    return c.html(html, 200, { 'Cache-Control': 'no-store' });
  };
  for (const path of ['/inbox', '/inbox/', '/inbox/:tenantId']) {
    app.get(path, page);
    app.all(path, (c) => methodNotAllowed(c, ['GET']));
  }

  const api = new Hono<AppEnv>();
  api.use('*', async (c, next) => {
    if (!isWellFormedTenantId(c.req.param('tenantId') ?? '')) return problem(c, 404, 'not-found', 'Not found', 'There is nothing at this address.');
    if (c.req.method === 'POST' && c.req.header('Origin') !== ownOrigin(c) && c.req.header('Origin') !== deps.portalOrigin) {
      throw new ForbiddenError('This request must come from the inbox page itself.');
    }
    await next();
  });
  const tenantOf = (c: Context) => c.req.param('tenantId') as string;
  const session = (c: Context, touch: boolean) => authenticateSession(deps, getCookie(c, INBOX_COOKIE), tenantOf(c), { touch });

  api.post('/sign-in', async (c) => {
    const { email } = parseBody(SIGN_IN_BODY, (await readJson(c)).value);
    return c.json(await requestSignIn(deps, tenantOf(c), email, ctx(c)), 202);
  });

  api.post('/verify', async (c) => {
    const { email, code } = parseBody(VERIFY_BODY, (await readJson(c)).value);
    // A locked address is a SignInLockedError: 429 with Retry-After, like every lock (problem.ts).
    const { sessionToken } = await verifySignIn(deps, tenantOf(c), email, code, ctx(c));
    c.header('Set-Cookie', sessionCookie(sessionToken));
    return c.body(null, 204);
  });

  api.get('/messages', async (c) => c.json({ messages: await listInbox(deps, await session(c, false)) }));

  api.post('/messages/:id/open', async (c) => {
    await readJson(c);
    const opened = await openFromInbox(deps, await session(c, true), c.req.param('id'), ctx(c));
    return c.json(opened, 200, { 'Cache-Control': 'no-store' });
  });

  api.post('/sign-out', async (c) => {
    await readJson(c);
    await signOut(deps, getCookie(c, INBOX_COOKIE));
    c.header('Set-Cookie', CLEARED_COOKIE);
    return c.body(null, 204);
  });

  for (const [path, allow] of [['/sign-in', 'POST'], ['/verify', 'POST'], ['/messages', 'GET'], ['/messages/:id/open', 'POST'], ['/sign-out', 'POST']] as const) {
    api.all(path, (c) => methodNotAllowed(c, [allow]));
  }
  app.route('/inbox/api/:tenantId', api);
  return app;
}
