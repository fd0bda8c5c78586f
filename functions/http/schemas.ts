/**
 * Request schemas of the sender API (zod) and the response types the web client and tests use.
 * Validation happens here, at the edge; core receives typed, decoded values.
 */
import * as z from 'zod';
z.config({ jitless: true });
import {
  MAX_EXPIRY_DAYS, MAX_VIEWS, MIN_EXPIRY_DAYS, CONTROL_CHARS, EMAIL_PATTERN as EMAIL, PayloadTooLargeError, validationErrorOf, type FieldIssue,
  type Address,
} from '../core/shared/index.ts';
import { normalizePasscode } from '../core/protocol/index.ts';
import type { OutboundMessage } from '../core/messages/index.ts';

export const MAX_TO = 50;
export const MAX_CC = 50;
export const MAX_ATTACHMENTS = 20;
/** The longest label a sender may set (MessageHead.label). */
export const MAX_LABEL = 100;
/** The largest view limit a sender may set (omit maxViews for unlimited). */
export { MAX_VIEWS };
/**
 * A label is shown as a row's title in the inbox: no formatting characters (zero-width, bidi marks,
 * soft hyphen, tags), no blank letters (Hangul and halfwidth fillers, the blank Braille pattern),
 * and at least one visible character, so no row reads as empty or as something it is not.
 */
const INVISIBLE = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\u115F\u1160\u3164\uFFA0\u2800]/u;
const VISIBLE = /[\p{L}\p{N}\p{P}\p{S}]/u;
/** Decoded bodies + attachments. Lambda requests stop at 6 MB, and base64 inflates by a third. */
export const MAX_CONTENT_BYTES = 4 * 1024 * 1024;
export { MAX_REQUEST_BYTES } from './json-limits.ts';

const MEDIA_TYPE = /^[a-z0-9][a-z0-9!#$&^_.+-]{0,126}\/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}$/i;
// A flat character class: a grouped, repeated pattern overflows V8's regex stack on megabyte inputs.
const BASE64_CHARS = /^[A-Za-z0-9+/]*={0,2}$/;
const isBase64 = (v: string) => v.length % 4 === 0 && BASE64_CHARS.test(v);


const emailString = z.string().max(254, 'is longer than 254 characters').refine((v) => EMAIL.test(v), 'is not a valid email address');
const name = z.string().max(200).refine((v) => !CONTROL_CHARS.test(v), 'name must not contain line breaks or control characters');
const recipient = z.union([
  emailString,
  z.strictObject({ email: emailString, name: name.optional() }),
], 'must be an email address or {"email": "...", "name": "..."}');

export const sendRequestSchema = z.strictObject({
  to: z.array(recipient).min(1, 'needs at least one recipient').max(MAX_TO, `allows at most ${MAX_TO} recipients`),
  cc: z.array(recipient).max(MAX_CC, `allows at most ${MAX_CC} recipients`).default([]),
  subject: z.string().min(1, 'is required').max(250, 'is longer than 250 characters').refine((v) => !CONTROL_CHARS.test(v), 'must not contain line breaks or control characters'),
  text: z.string().optional(),
  html: z.string().optional(),
  attachments: z.array(z.strictObject({
    filename: z.string().min(1, 'is required').max(255, 'is longer than 255 characters')
      .refine((v) => !CONTROL_CHARS.test(v), 'must not contain line breaks or control characters')
      .refine((v) => !/[\\/]/.test(v), 'must be a file name, not a path'),
    contentType: z.string().refine((v) => MEDIA_TYPE.test(v), 'must be a media type such as "application/pdf"'),
    content: z.string().refine(isBase64, 'must be standard base64'),
  })).max(MAX_ATTACHMENTS, `allows at most ${MAX_ATTACHMENTS} attachments`).default([]),
  expiresInDays: z.number().int('must be a whole number').min(MIN_EXPIRY_DAYS, `must be at least ${MIN_EXPIRY_DAYS}`).max(MAX_EXPIRY_DAYS, `must be at most ${MAX_EXPIRY_DAYS}`).optional(),
  maxViews: z.number().int('must be a whole number').min(1, 'must be at least 1').max(MAX_VIEWS, `must be at most ${MAX_VIEWS}`).optional(),
  replyTo: emailString.optional(),
  /** Overrides the tenant's verification setting for this message. */
  verification: z.enum(['none', 'email-code']).optional(),
  /** Shared with the recipients out of band; mixed into their keys and never stored. */
  passcode: z.string().min(1, 'must not be empty').max(100, 'is longer than 100 characters')
    .refine((v) => !CONTROL_CHARS.test(v), 'must not contain line breaks or control characters')
    .refine((v) => normalizePasscode(v) !== '', 'must not be only white space')
    .optional(),
  label: z.string().min(1, 'must not be empty').max(MAX_LABEL, `is longer than ${MAX_LABEL} characters`)
    .refine((v) => !CONTROL_CHARS.test(v), 'must not contain line breaks or control characters')
    .refine((v) => !INVISIBLE.test(v), 'must not contain invisible or formatting characters')
    .refine((v) => VISIBLE.test(v), 'needs a visible character')
    .optional()
    .describe('Optional. A short label that lets recipients tell this message apart in their Message Center inbox (e.g. "Lab results, March"). Stored and shown IN THE CLEAR — to the recipient\'s inbox, your console and this API, and to whoever operates this deployment — never sealed; so put nothing confidential in it. It is not put in the notification email.'),
}).refine((m) => m.text !== undefined || m.html !== undefined, { message: 'give "text", "html" or both', path: ['text'] });

export type SendRequest = z.input<typeof sendRequestSchema>;

export function toIssues(error: z.ZodError): FieldIssue[] {
  return error.issues.map((issue) => {
    const field = issue.path.map(String).join('/') || '(body)';
    let message = issue.message;
    if (issue.code === 'unrecognized_keys') message = `unknown field(s): ${issue.keys.join(', ')}`;
    else if (issue.code === 'invalid_type' && issue.input === undefined) message = 'is required';
    return { field, message };
  });
}

function toAddress(value: string | { email: string; name?: string | undefined }): Address {
  return typeof value === 'string' ? { email: value } : { email: value.email, ...(value.name ? { name: value.name } : {}) };
}

/** Parses `body` with `schema`, or throws a ValidationError naming every wrong field. */
export function parseWith<S extends z.ZodType>(schema: S, body: unknown): z.output<S> {
  const parsed = schema.safeParse(body);
  if (!parsed.success) throw validationErrorOf(toIssues(parsed.error));
  return parsed.data;
}

/** Validates and decodes a send request, or throws ValidationError / PayloadTooLargeError. */
export function parseSendRequest(body: unknown): OutboundMessage {
  const m = parseWith(sendRequestSchema, body);
  const attachments = m.attachments.map((a) => ({ filename: a.filename, contentType: a.contentType.toLowerCase(), content: new Uint8Array(Buffer.from(a.content, 'base64')) }));
  const size = attachments.reduce((sum, a) => sum + a.content.length, 0)
    + Buffer.byteLength(m.text ?? '') + Buffer.byteLength(m.html ?? '') + Buffer.byteLength(m.subject);
  if (size > MAX_CONTENT_BYTES) {
    throw new PayloadTooLargeError(`The message content is ${size} bytes after decoding; the limit is ${MAX_CONTENT_BYTES} bytes (4 MiB).`);
  }
  return {
    to: m.to.map(toAddress),
    cc: m.cc.map(toAddress),
    subject: m.subject,
    ...(m.text !== undefined ? { text: m.text } : {}),
    ...(m.html !== undefined ? { html: m.html } : {}),
    attachments,
    ...(m.expiresInDays !== undefined ? { expiresInDays: m.expiresInDays } : {}),
    ...(m.maxViews !== undefined ? { maxViews: m.maxViews } : {}),
    ...(m.replyTo !== undefined ? { replyTo: m.replyTo } : {}),
    ...(m.verification !== undefined ? { verification: m.verification } : {}),
    ...(m.passcode !== undefined ? { passcode: m.passcode } : {}),
    ...(m.label !== undefined ? { label: m.label.trim() } : {}),
  };
}
