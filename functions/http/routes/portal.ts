/**
 * Recipient portal. GET never consumes or changes anything (mail scanners fetch links) and reveals
 * only whether a live message is behind the id: the page is the static document with, at most, the
 * brand of the tenant that sent the message — read from the message's head, never from the
 * hostname — and what the head says the page must know before opening (whether it is a reply, a
 * passcode field, who can open the message), or that there is nothing to open. Only POST
 * /m/:id/open, sent after the recipient clicks, returns ciphertext; POST /m/:id/code sends a code.
 */
import { Hono } from 'hono';
import { RECOVERED_KEY_HEADER, WRAPPED_SECRET_HEADER, openMessageOrRecovery, type PortalOpenDeps } from '../../core/message-center/index.ts';
import { authorizeRecipient } from '../../core/pickup/index.ts';
import { describeError, ValidationError, isExpired, type WebAssets } from '../../core/shared/index.ts';
import { authorOf, isWellFormedMessageId, type MessageHead } from '../../core/messages/index.ts';
import { tenantOnHostname, type Tenant, type TenantDirectory } from '../../core/tenants/index.ts';
import { readJson, sourceIpOf, userAgentOf, viewerHostname } from '../request-info.ts';
import { CODE_BODY, OPEN_BODY, parseBody } from '../portal-bodies.ts';
import { methodNotAllowed } from '../problem.ts';
import type { AppEnv } from '../types.ts';
import { brandPageOf, renderPickupPage, type PageFacts, type PageMessage } from '../pickup-page.ts';

export interface PortalDeps extends PortalOpenDeps {
  readonly web: WebAssets;
  /** The message's tenant brands its page; a hostname another tenant holds keeps it neutral. */
  readonly tenants: TenantDirectory;
  /** The deployment's own origin: its hostname belongs to no tenant. */
  readonly portalOrigin?: string;
}

/** Response header of POST /m/:id/open: how many parts the ciphertext has. */
export const PARTS_HEADER = 'Sealpost-Parts';
/** Response header of POST /m/:id/open after a verified code: the grant for later parts (and a reply). */
export const GRANT_HEADER = 'Sealpost-Grant';
export { RECOVERED_KEY_HEADER, WRAPPED_SECRET_HEADER };

export function portalRoutes(deps: PortalDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const deploymentHosts = deps.portalOrigin ? [new URL(deps.portalOrigin).hostname] : [];

  /** The live message a page is for: active, unexpired, and of a tenant that is not disabled. */
  const liveMessage = async (messageId: string): Promise<{ head: MessageHead; tenant: Tenant } | undefined> => {
    if (!isWellFormedMessageId(messageId)) return undefined;
    const head = await deps.store.getHead(messageId);
    if (!head || head.state !== 'active' || isExpired(head.expiresAt, deps.clock())) return undefined;
    const tenant = await deps.tenants.getTenant(head.tenantId);
    return tenant && !tenant.disabled ? { head, tenant } : undefined;
  };

  /**
   * The page's brand and facts, both from the message: a message is branded only by its own tenant.
   * On a hostname that another tenant holds, its page is neutral (and its facts name no tenant), so
   * a tenant's hostname can never dress another tenant's message. A message that is unknown,
   * expired or revoked gives the same neutral "unavailable" page as a malformed id, so the page
   * tells no more than the open endpoint does: whether there is a live message behind the id.
   */
  const pageFor = async (hostname: string, messageId: string): Promise<{ tenant?: Tenant; message: PageMessage }> => {
    const message = await liveMessage(messageId);
    if (!message) return { message: 'unavailable' };
    const byHost = await tenantOnHostname(deps.tenants, hostname, deploymentHosts);
    const foreign = byHost !== undefined && byHost.id !== message.tenant.id;
    const { head } = message;
    const facts: PageFacts = {
      kind: head.inReplyTo === undefined ? 'message' : authorOf(head) === 'tenant' ? 'reply-from-tenant' : 'reply-to-tenant',
      passcode: head.passcode === true,
      custody: head.custody ?? 'link',
      tenantName: foreign ? 'The sender' : message.tenant.settings.displayName,
      ...(foreign ? {} : { tenantId: message.tenant.id }),
    };
    return foreign ? { message: facts } : { tenant: message.tenant, message: facts };
  };

  app.get('/m/:id', async (c) => {
    const hostname = viewerHostname(c);
    let page: { tenant?: Tenant; message: PageMessage } = { message: undefined };
    try {
      page = await pageFor(hostname, c.req.param('id'));
    } catch (error) {
      // Branding is cosmetic: a failed lookup gives the neutral page, and opening reports its own errors.
      deps.logger.warn('portal_brand_lookup_failed', { error: describeError(error) });
    }
    return c.html(renderPickupPage(deps.web.pickupPage, page.tenant && brandPageOf(page.tenant), page.message));
  });

  const context = (c: Parameters<typeof sourceIpOf>[0]) => {
    const sourceIp = sourceIpOf(c);
    const userAgent = userAgentOf(c);
    return { ...(sourceIp !== undefined ? { sourceIp } : {}), ...(userAgent !== undefined ? { userAgent } : {}) };
  };

  app.post('/m/:id/open', async (c) => {
    const { value } = await readJson(c);
    const { part = 0, tenant, ...credentials } = parseBody(OPEN_BODY, value, 'Send {"token": "<access token>"}, with "link", "code", "grant", "part" and "tenant" as needed (docs/protocol.md §5).');
    const opened = await openMessageOrRecovery(deps, c.req.param('id'), credentials, { ...context(c), part, ...(tenant !== undefined ? { tenantHint: tenant } : {}) });
    const headers = {
      // Large messages come in several parts (one Lambda response each); the client fetches the rest.
      [PARTS_HEADER]: String(opened.parts),
      ...(opened.grant !== undefined ? { [GRANT_HEADER]: opened.grant } : {}),
      // A recovery link: the key it unlocks, wrapped under the link's own key; only the browser can unwrap it.
      ...('wrappedSecret' in opened ? { [WRAPPED_SECRET_HEADER]: opened.wrappedSecret, [RECOVERED_KEY_HEADER]: opened.unlocks } : {}),
    };
    if ('downloads' in opened) {
      // A sealed upload's ciphertext is in the blob store: where to fetch each part (same origin, for a while).
      return c.json({ parts: opened.downloads }, 200, { ...headers, 'Cache-Control': 'no-store' });
    }
    return c.body(opened.ciphertext as Uint8Array<ArrayBuffer>, 200, { 'Content-Type': 'application/octet-stream', ...headers });
  });

  app.post('/m/:id/code', async (c) => {
    const { value } = await readJson(c);
    const credentials = parseBody(CODE_BODY, value, 'Send {"link": "<link token>", "token": "<access token>"}.');
    // Succeeds only by throwing: VerificationRequiredError (a new code is on its way) or a refusal.
    await authorizeRecipient(deps, c.req.param('id'), credentials, { ...context(c), resend: true });
    throw new ValidationError('This message needs no code.');
  });

  app.all('/m/:id', (c) => methodNotAllowed(c, ['GET']));
  app.all('/m/:id/open', (c) => methodNotAllowed(c, ['POST']));
  app.all('/m/:id/code', (c) => methodNotAllowed(c, ['POST']));

  app.get('/assets/:name', (c) => {
    const asset = deps.web.assets.get(c.req.param('name'));
    if (!asset) return c.notFound();
    return c.body(asset.body as Uint8Array<ArrayBuffer>, 200, { 'Content-Type': asset.contentType, 'Cache-Control': 'public, max-age=300' });
  });

  return app;
}
