/**
 * The send request's zod schema, for the OpenAPI document (a send itself is checked without zod, by
 * send-body.ts, which test/http/send-body.test.ts holds to this schema), and the send's limits and
 * the zod helpers, re-exported for the modules and tests that name them here.
 */
import * as z from 'zod';
import { MAX_EXPIRY_DAYS, MIN_EXPIRY_DAYS, EMAIL_PATTERN as EMAIL } from '../core/shared/index.ts';
import { attachmentsSchema, subjectSchema } from './zod-parse.ts';
import { normalizePasscode } from '../core/protocol/index.ts';
import {
  INVISIBLE, MAX_ATTACHMENTS, MAX_CC, MAX_LABEL, MAX_NAME, MAX_TO, MAX_VIEWS, SEND_MESSAGES as M, VISIBLE, hasNoControls, type SendRequest,
} from './send-body.ts';

export { MAX_ATTACHMENTS, MAX_CC, MAX_CONTENT_BYTES, MAX_LABEL, MAX_TO, MAX_VIEWS, parseSendRequest, type SendRequest } from './send-body.ts';
export { MAX_REQUEST_BYTES } from './json-limits.ts';
export { parseWith, toIssues } from './zod-parse.ts';

const emailString = z.string().max(254, M.emailTooLong).refine((v) => EMAIL.test(v), M.notEmail);
const name = z.string().max(MAX_NAME).refine(hasNoControls, M.nameControls);
const recipient = z.union([
  emailString,
  z.strictObject({ email: emailString, name: name.optional() }),
], M.recipient);

/**
 * The send request as zod sees it: what the OpenAPI document says, and what send-body.ts — which
 * checks real requests without zod — is held to by test/http/send-body.test.ts.
 */
export const sendRequestSchema = z.strictObject({
  to: z.array(recipient).min(1, M.noRecipient).max(MAX_TO, M.tooManyTo),
  cc: z.array(recipient).max(MAX_CC, M.tooManyCc).default([]),
  subject: subjectSchema(),
  text: z.string().optional(),
  html: z.string().optional(),
  attachments: attachmentsSchema(MAX_ATTACHMENTS, M.tooManyAttachments),
  expiresInDays: z.number().int(M.whole).min(MIN_EXPIRY_DAYS, M.expiryTooShort).max(MAX_EXPIRY_DAYS, M.expiryTooLong).optional(),
  maxViews: z.number().int(M.whole).min(1, M.viewsTooFew).max(MAX_VIEWS, M.viewsTooMany).optional(),
  replyTo: emailString.optional(),
  /** Overrides the tenant's verification setting for this message. */
  verification: z.enum(['none', 'email-code']).optional(),
  /** Shared with the recipients out of band; mixed into their keys and never stored. */
  passcode: z.string().min(1, M.empty).max(100, M.passcodeTooLong)
    .refine(hasNoControls, M.controls)
    .refine((v) => normalizePasscode(v) !== '', M.blank)
    .optional(),
  label: z.string().min(1, M.empty).max(MAX_LABEL, M.labelTooLong)
    .refine(hasNoControls, M.controls)
    .refine((v) => !INVISIBLE.test(v), M.invisible)
    .refine((v) => VISIBLE.test(v), M.noVisible)
    .optional()
    .describe('Optional. A short label that lets recipients tell this message apart in their Message Center inbox (e.g. "Lab results, March"). Stored and shown IN THE CLEAR — to the recipient\'s inbox, your console and this API, and to whoever operates this deployment — never sealed; so put nothing confidential in it. It is not put in the notification email.'),
}).refine((m) => m.text !== undefined || m.html !== undefined, { message: M.textOrHtml, path: ['text'] });

/** The hand-written request type (send-body.ts) is the schema's input, exactly: a change to either fails to compile. */
type Same<A, B> = (<T>() => T extends A ? 1 : 2) extends (<T>() => T extends B ? 1 : 2) ? true : false;
export const SEND_REQUEST_TYPE_MATCHES_SCHEMA: Same<SendRequest, z.input<typeof sendRequestSchema>> = true;
