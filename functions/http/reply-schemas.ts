/**
 * The secure reply's request schema (zod): loaded by routes/reply.ts on the first reply, and by the
 * OpenAPI document. Its attachment rules are the send's (send-body.ts).
 */
import * as z from 'zod';
import { MAX_REPLY_ATTACHMENTS } from '../core/replies/index.ts';
import { attachmentsSchema, parseWith, subjectSchema } from './zod-parse.ts';

/** Credentials are checked by pickup; here only their size is bounded. */
const credential = z.string().max(128);

export const replyRequestSchema = z.strictObject({
  link: credential.optional(),
  token: credential,
  code: z.string().max(32).optional(),
  grant: credential.optional(),
  subject: subjectSchema(),
  text: z.string(),
  attachments: attachmentsSchema(MAX_REPLY_ATTACHMENTS, `allows at most ${MAX_REPLY_ATTACHMENTS} attachments`),
});

export type ReplyRequest = z.input<typeof replyRequestSchema>;

export function parseReplyRequest(body: unknown): z.output<typeof replyRequestSchema> {
  return parseWith(replyRequestSchema, body);
}
