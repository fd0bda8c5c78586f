/** Sender API: POST/GET /v1/messages, GET/PATCH/DELETE /v1/messages/:id. */
import { Hono } from 'hono';
import { loadOnce, sha256Base64Url, ValidationError } from '../../core/shared/index.ts';
import {
  changeExpiry, getMessageStatus, listMessages, revokeMessage, sendMessage, type MessageAdminDeps, type SendDeps,
} from '../../core/messages/index.ts';
import type { TenantDirectory } from '../../core/tenants/index.ts';
import { requireKey } from '../middleware/auth.ts';
import { methodNotAllowed } from '../problem.ts';
import { readJson, sourceIpOf, userAgentOf } from '../request-info.ts';
import { parseSendRequest } from '../send-body.ts';
import type { AppEnv } from '../types.ts';

/** The list and change schemas (and zod) are loaded by the first request that needs them; a send needs neither (send-body.ts). */
const schemas = loadOnce('Request validation', () => import('../admin-schemas.ts'));

export interface MessageRoutesDeps extends SendDeps, Omit<MessageAdminDeps, 'blobs'> {
  readonly tenants: TenantDirectory;
}

const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;

/** The request's Idempotency-Key header, if any, checked for shape. */
export function idempotencyKeyOf(c: { req: { header(name: string): string | undefined } }): string | undefined {
  const idempotencyKey = c.req.header('Idempotency-Key');
  if (idempotencyKey !== undefined && !IDEMPOTENCY_KEY.test(idempotencyKey)) {
    throw new ValidationError('Idempotency-Key must be 1–255 visible ASCII characters.', [{ field: 'Idempotency-Key', message: 'invalid' }]);
  }
  return idempotencyKey;
}

export function messageRoutes(deps: MessageRoutesDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.use('*', requireKey(deps.tenants, 'send', deps.clock));

  app.post('/', async (c) => {
    const idempotencyKey = idempotencyKeyOf(c);
    const { value, raw } = await readJson(c);
    const message = parseSendRequest(value);
    const requestHash = await sha256Base64Url(raw);
    const receipt = await sendMessage(deps, c.get('principal'), message, {
      ...(idempotencyKey !== undefined ? { idempotencyKey } : {}),
      requestHash,
      sourceIp: sourceIpOf(c),
      userAgent: userAgentOf(c),
    });
    c.header('Location', `/v1/messages/${receipt.id}`);
    return c.json(receipt, 201);
  });

  app.get('/', async (c) => c.json(await listMessages(deps, c.get('principal'), (await schemas()).parseMessageListQuery(c.req.query()))));

  app.get('/:id', async (c) => c.json(await getMessageStatus(deps, c.get('principal'), c.req.param('id'))));

  app.patch('/:id', async (c) => {
    const { value } = await readJson(c, ['application/json', 'application/merge-patch+json']);
    const expiresAt = (await schemas()).parseChangeMessage(value, deps.clock());
    return c.json(await changeExpiry(deps, c.get('principal'), c.req.param('id'), expiresAt, { sourceIp: sourceIpOf(c), userAgent: userAgentOf(c) }));
  });

  app.delete('/:id', async (c) => {
    await revokeMessage(deps, c.get('principal'), c.req.param('id'), { sourceIp: sourceIpOf(c), userAgent: userAgentOf(c) });
    return c.body(null, 204);
  });

  app.all('/', (c) => methodNotAllowed(c, ['GET', 'POST']));
  app.all('/:id', (c) => methodNotAllowed(c, ['GET', 'PATCH', 'DELETE']));
  return app;
}
