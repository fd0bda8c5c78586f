/**
 * Secure reply from the portal: POST /m/:id/reply with the same credentials as an open, plus the
 * reply. Mounted on the portal app, which already limits the raw body size.
 */
import { Hono } from 'hono';
import * as z from 'zod';
import { MAX_REPLY_ATTACHMENTS, sendReply, type ReplyDeps } from '../../core/replies/index.ts';
import { CONTROL_CHARS } from '../../core/shared/index.ts';
import { methodNotAllowed } from '../problem.ts';
import { readJson, sourceIpOf, userAgentOf } from '../request-info.ts';
import { parseWith } from '../schemas.ts';
import type { AppEnv } from '../types.ts';

const MEDIA_TYPE = /^[a-z0-9][a-z0-9!#$&^_.+-]{0,126}\/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}$/i;
// A flat character class: a grouped, repeated pattern overflows V8's regex stack on megabyte inputs.
const BASE64_CHARS = /^[A-Za-z0-9+/]*={0,2}$/;
const isBase64 = (v: string) => v.length % 4 === 0 && BASE64_CHARS.test(v);
const noControls = (v: string) => !CONTROL_CHARS.test(v);
/** The same response header as POST /m/:id/open (routes/portal.ts GRANT_HEADER), kept here so this route needs nothing of pickup. */
export const GRANT_HEADER = 'Sealpost-Grant';
/** Credentials are checked by pickup; here only their size is bounded. */
const credential = z.string().max(128);

export const replyRequestSchema = z.strictObject({
  link: credential.optional(),
  token: credential,
  code: z.string().max(32).optional(),
  grant: credential.optional(),
  subject: z.string().min(1, 'is required').max(250, 'is longer than 250 characters').refine(noControls, 'must not contain line breaks or control characters'),
  text: z.string(),
  attachments: z.array(z.strictObject({
    filename: z.string().min(1, 'is required').max(255, 'is longer than 255 characters')
      .refine(noControls, 'must not contain line breaks or control characters')
      .refine((v) => !/[\\/]/.test(v), 'must be a file name, not a path'),
    contentType: z.string().refine((v) => MEDIA_TYPE.test(v), 'must be a media type such as "application/pdf"'),
    content: z.string().refine(isBase64, 'must be standard base64'),
  })).max(MAX_REPLY_ATTACHMENTS, `allows at most ${MAX_REPLY_ATTACHMENTS} attachments`).default([]),
});

export type ReplyRequest = z.input<typeof replyRequestSchema>;

/** The 201 body of POST /m/:id/reply. */
export interface ReplyResponse {
  readonly id: string;
  readonly expiresAt: string;
}

export function replyRoutes(deps: ReplyDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.post('/m/:id/reply', async (c) => {
    const { value } = await readJson(c);
    const body = parseWith(replyRequestSchema, value);
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
