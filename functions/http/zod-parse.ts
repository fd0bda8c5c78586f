/**
 * Parsing with a zod schema at the edge: issues as the API reports them, and the rules the send's
 * and the reply's schemas share. Its own module, so that a lazily loaded schema module (admin,
 * uploads, replies, webhooks) brings zod without building the send's schema (schemas.ts).
 */
import * as z from 'zod';
import { validationErrorOf, type FieldIssue } from '../core/shared/index.ts';
import { MEDIA_TYPE, SEND_MESSAGES as M, hasNoControls, isBase64 } from './send-body.ts';

z.config({ jitless: true });

export function toIssues(error: z.ZodError): FieldIssue[] {
  return error.issues.map((issue) => {
    const field = issue.path.map(String).join('/') || '(body)';
    let message = issue.message;
    if (issue.code === 'unrecognized_keys') message = `unknown field(s): ${issue.keys.join(', ')}`;
    else if (issue.code === 'invalid_type' && issue.input === undefined) message = 'is required';
    return { field, message };
  });
}

/** A message's subject: the send's and the secure reply's (send-body.ts checks the send's without zod). */
export const subjectSchema = () => z.string().min(1, M.required).max(250, M.subjectTooLong).refine(hasNoControls, M.controls);

/** Attached files as base64, at most `max` of them: the send's and the secure reply's. */
export const attachmentsSchema = (max: number, tooMany: string) => z.array(z.strictObject({
  filename: z.string().min(1, M.required).max(255, M.filenameTooLong)
    .refine(hasNoControls, M.controls)
    .refine((v) => !/[\\/]/.test(v), M.path),
  contentType: z.string().refine((v) => MEDIA_TYPE.test(v), M.mediaType),
  content: z.string().refine(isBase64, M.base64),
})).max(max, tooMany).default([]);

/** Parses `body` with `schema`, or throws a ValidationError naming every wrong field. */
export function parseWith<S extends z.ZodType>(schema: S, body: unknown): z.output<S> {
  const parsed = schema.safeParse(body);
  if (!parsed.success) throw validationErrorOf(toIssues(parsed.error));
  return parsed.data;
}
