/**
 * The secure reply's request schema (zod): loaded by routes/reply.ts on the first reply, and by the
 * OpenAPI document. Its attachment rules are the send's (send-body.ts).
 */
import * as z from 'zod';
import { MAX_REPLY_ATTACHMENTS } from '../core/replies/index.ts';
import { MEDIA_TYPE, SEND_MESSAGES as M, hasNoControls, isBase64 } from './send-body.ts';
import { parseWith } from './zod-parse.ts';

/** Credentials are checked by pickup; here only their size is bounded. */
const credential = z.string().max(128);

export const replyRequestSchema = z.strictObject({
  link: credential.optional(),
  token: credential,
  code: z.string().max(32).optional(),
  grant: credential.optional(),
  subject: z.string().min(1, M.required).max(250, M.subjectTooLong).refine(hasNoControls, M.controls),
  text: z.string(),
  attachments: z.array(z.strictObject({
    filename: z.string().min(1, M.required).max(255, M.filenameTooLong)
      .refine(hasNoControls, M.controls)
      .refine((v) => !/[\\/]/.test(v), M.path),
    contentType: z.string().refine((v) => MEDIA_TYPE.test(v), M.mediaType),
    content: z.string().refine(isBase64, M.base64),
  })).max(MAX_REPLY_ATTACHMENTS, `allows at most ${MAX_REPLY_ATTACHMENTS} attachments`).default([]),
});

export type ReplyRequest = z.input<typeof replyRequestSchema>;

export function parseReplyRequest(body: unknown): z.output<typeof replyRequestSchema> {
  return parseWith(replyRequestSchema, body);
}
