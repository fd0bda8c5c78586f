/**
 * Recipient portal. GET never reveals, consumes or changes anything (mail scanners fetch links):
 * the page is the static document with, at most, the brand of the tenant that sent it — chosen by
 * the hostname, or else by the message's head, which is only read. Only POST /m/:id/open, sent
 * after the recipient clicks, returns ciphertext.
 */
import { Hono } from 'hono';
import { openMessage, type PickupDeps } from '../../core/pickup.ts';
import { describeError, ValidationError } from '../../core/errors.ts';
import { isExpired } from '../../core/expiry.ts';
import { isWellFormedMessageId } from '../../core/message-ids.ts';
import type { Tenant } from '../../core/model.ts';
import { readJson, sourceIpOf, userAgentOf, viewerHostname } from '../request-info.ts';
import { openRequestSchema } from '../schemas.ts';
import { methodNotAllowed } from '../problem.ts';
import type { TenantDirectory, WebAssets } from '../../core/ports.ts';
import type { AppEnv } from '../types.ts';
import { brandPageOf, renderPickupPage } from '../pickup-page.ts';

export interface PortalDeps extends PickupDeps {
  readonly web: WebAssets;
  /** Picks the brand of a page: by hostname, else by the message's tenant. */
  readonly tenants: TenantDirectory;
}

/** Response header of POST /m/:id/open: how many parts the ciphertext has. */
export const PARTS_HEADER = 'Sealpost-Parts';

export function portalRoutes(deps: PortalDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  /**
   * The tenant whose brand the page shows. A message that is unknown, expired or revoked gives the
   * same neutral page as a malformed id, so the page tells no more than the open endpoint does.
   */
  const brandTenant = async (hostname: string, messageId: string): Promise<Tenant | undefined> => {
    const byHost = await deps.tenants.tenantForHostname(hostname);
    if (byHost) return byHost.disabled ? undefined : byHost;
    if (!isWellFormedMessageId(messageId)) return undefined;
    const head = await deps.store.getHead(messageId);
    if (!head || head.state !== 'active' || isExpired(head.expiresAt, deps.clock())) return undefined;
    const tenant = await deps.tenants.getTenant(head.tenantId);
    return tenant && !tenant.disabled ? tenant : undefined;
  };

  app.get('/m/:id', async (c) => {
    const hostname = viewerHostname(c);
    let tenant: Tenant | undefined;
    try {
      tenant = await brandTenant(hostname, c.req.param('id'));
    } catch (error) {
      // Branding is cosmetic: a failed lookup gives the neutral page, and opening reports its own errors.
      deps.logger.warn('portal_brand_lookup_failed', { error: describeError(error) });
    }
    return c.html(renderPickupPage(deps.web.pickupPage, tenant && brandPageOf(tenant)));
  });

  app.post('/m/:id/open', async (c) => {
    const { value } = await readJson(c);
    const parsed = openRequestSchema.safeParse(value);
    if (!parsed.success) throw new ValidationError('Send {"token": "<access token>", "part": <0-based part, optional>}.', [{ field: 'token', message: 'is required' }]);
    const { token, part = 0 } = parsed.data;
    const opened = await openMessage(deps, c.req.param('id'), token, { sourceIp: sourceIpOf(c), userAgent: userAgentOf(c), part });
    return c.body(opened.ciphertext as Uint8Array<ArrayBuffer>, 200, {
      'Content-Type': 'application/octet-stream',
      // Large messages come in several parts (one Lambda response each); the client fetches the rest.
      [PARTS_HEADER]: String(opened.parts),
    });
  });

  app.all('/m/:id', (c) => methodNotAllowed(c, ['GET']));
  app.all('/m/:id/open', (c) => methodNotAllowed(c, ['POST']));

  app.get('/assets/:name', (c) => {
    const asset = deps.web.assets.get(c.req.param('name'));
    if (!asset) return c.notFound();
    return c.body(asset.body as Uint8Array<ArrayBuffer>, 200, { 'Content-Type': asset.contentType, 'Cache-Control': 'public, max-age=300' });
  });

  return app;
}
