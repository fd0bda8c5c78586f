/**
 * Secure reply from the portal: POST /m/:id/reply with the same credentials as an open, plus the
 * reply. Mounted on the portal app, which already limits the raw body size.
 */
import { Hono } from 'hono';
import { loadOnce } from '../../core/shared/index.ts';
import { sendReply, type ReplyDeps } from '../../core/replies/index.ts';
import { methodNotAllowed } from '../problem.ts';
import { readJson, sourceIpOf, userAgentOf } from '../request-info.ts';
import type { AppEnv } from '../types.ts';

/** The same response header as POST /m/:id/open (routes/portal.ts GRANT_HEADER), kept here so this route needs nothing of pickup. */
export const GRANT_HEADER = 'Sealpost-Grant';
export type { ReplyRequest } from '../reply-schemas.ts';

/** The request schema (and zod) are loaded by the first reply. */
const schemas = loadOnce('Request validation', () => import('../reply-schemas.ts'));

/** The 201 body of POST /m/:id/reply. */
export interface ReplyResponse {
  readonly id: string;
  readonly expiresAt: string;
}

export function replyRoutes(deps: ReplyDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.post('/m/:id/reply', async (c) => {
    const { value } = await readJson(c);
    const body = (await schemas()).parseReplyRequest(value);
    const attachments = body.attachments.map((a) => ({
      filename: a.filename, contentType: a.contentType.toLowerCase(), content: new Uint8Array(Buffer.from(a.content, 'base64')),
    }));
    const credentials = {
      token: body.token,
      ...(body.link !== undefined ? { link: body.link } : {}),
      ...(body.code !== undefined ? { code: body.code } : {}),
      ...(body.grant !== undefined ? { grant: body.grant } : {}),
    };
    const ua = userAgentOf(c);
    const ip = sourceIpOf(c);
    const sent = await sendReply(deps, c.req.param('id'), credentials, { subject: body.subject, text: body.text, attachments }, {
      ...(ip !== undefined ? { sourceIp: ip } : {}),
      ...(ua !== undefined ? { userAgent: ua } : {}),
    });
    return c.json({ id: sent.id, expiresAt: sent.expiresAt } satisfies ReplyResponse, 201, {
      'Cache-Control': 'no-store',
      // A code sent with this reply is used up: the grant lets the page act again without a new one.
      ...(sent.grant !== undefined ? { [GRANT_HEADER]: sent.grant } : {}),
    });
  });

  app.all('/m/:id/reply', (c) => methodNotAllowed(c, ['POST']));
  return app;
}
