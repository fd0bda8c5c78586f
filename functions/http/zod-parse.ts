/**
 * Parsing with a zod schema at the edge: issues as the API reports them. Its own module, so each
 * lazily loaded schema module (admin, uploads, replies, webhooks) brings zod and nothing else.
 */
import * as z from 'zod';
import { validationErrorOf, type FieldIssue } from '../core/shared/index.ts';

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

/** Parses `body` with `schema`, or throws a ValidationError naming every wrong field. */
export function parseWith<S extends z.ZodType>(schema: S, body: unknown): z.output<S> {
  const parsed = schema.safeParse(body);
  if (!parsed.success) throw validationErrorOf(toIssues(parsed.error));
  return parsed.data;
}
