/**
 * Request schemas of the sealed-upload API (/v1/uploads, docs/protocol.md §21). What core checks
 * against the upload itself (counts, secrets opening the message) is checked there; here only shape.
 */
import * as z from 'zod';
import { CONTROL_CHARS, EMAIL_PATTERN as EMAIL, MAX_EXPIRY_DAYS, MAX_VIEWS, MIN_EXPIRY_DAYS } from '../core/shared/index.ts';
import { MAX_PARTS_PER_REQUEST, MAX_UPLOAD_RECIPIENTS, type CompletionRecipient, type OpenUploadRequest, type PartRequest, type UploadCompletion, type UploadDeclaration } from '../core/messages/index.ts';
import { parseWith } from './zod-parse.ts';

const sha256Base64 = z.string().regex(/^[A-Za-z0-9+/]{43}=$/, 'must be a SHA-256 digest in standard base64 (44 characters)');
const base64Url43 = z.string().regex(/^[A-Za-z0-9_-]{43}$/, 'must be 43 base64url characters');
const emailString = z.string().max(254, 'is longer than 254 characters').refine((v) => EMAIL.test(v), 'is not a valid email address');

export const openUploadSchema = z.strictObject({
  recipients: z.number().int('must be a whole number').min(1, 'must be at least 1').max(MAX_UPLOAD_RECIPIENTS, `must be at most ${MAX_UPLOAD_RECIPIENTS}`),
});

export const partsSchema = z.strictObject({
  /** The sealed message's size and composite checksum: fixed by the first request, repeated by every later one. */
  bytes: z.number().int('must be a whole number').min(1, 'must be at least 1').max(Number.MAX_SAFE_INTEGER),
  sha256: sha256Base64,
  parts: z.array(z.strictObject({
    index: z.number().int('must be a whole number').min(0, 'must be at least 0').max(100_000),
    sha256: sha256Base64,
  })).min(1, 'needs at least one part').max(MAX_PARTS_PER_REQUEST, `allows at most ${MAX_PARTS_PER_REQUEST} parts per request`)
    .refine((parts) => new Set(parts.map((p) => p.index)).size === parts.length, 'names a part twice'),
});

const completionRecipient = z.strictObject({
  email: emailString,
  name: z.string().max(200).refine((v) => !CONTROL_CHARS.test(v), 'must not contain line breaks or control characters').optional(),
  kind: z.enum(['to', 'cc']).default('to'),
  /** sealpost emails the link: the recipient's secret (used for that email and the hashes, then dropped). */
  secret: base64Url43.optional(),
  /** With a passcode: the key the message is sealed for (the secret mixed with the passcode). */
  key: base64Url43.optional(),
  /** The sender delivers the link itself: only the hashes sealpost keeps. */
  tokenHash: base64Url43.optional(),
  linkTokenHash: base64Url43.optional(),
}).refine((r) => (r.secret !== undefined) !== (r.tokenHash !== undefined && r.linkTokenHash !== undefined) && (r.secret === undefined || (r.tokenHash === undefined && r.linkTokenHash === undefined)), {
  message: 'give either "secret" (sealpost emails the link) or both "tokenHash" and "linkTokenHash" (you deliver the link)',
});

export const completeUploadSchema = z.strictObject({
  recipients: z.array(completionRecipient).min(1, 'needs at least one recipient').max(MAX_UPLOAD_RECIPIENTS, `allows at most ${MAX_UPLOAD_RECIPIENTS} recipients`),
  expiresInDays: z.number().int('must be a whole number').min(MIN_EXPIRY_DAYS, `must be at least ${MIN_EXPIRY_DAYS}`).max(MAX_EXPIRY_DAYS, `must be at most ${MAX_EXPIRY_DAYS}`).optional(),
  maxViews: z.number().int('must be a whole number').min(1, 'must be at least 1').max(MAX_VIEWS, `must be at most ${MAX_VIEWS}`).optional(),
  replyTo: emailString.optional(),
  verification: z.enum(['none', 'email-code']).optional(),
  passcode: z.boolean().optional(),
  custodyPassword: base64Url43.optional(),
});

export function parseOpenUpload(body: unknown): OpenUploadRequest {
  return parseWith(openUploadSchema, body);
}

export function parsePartsRequest(body: unknown): { declaration: UploadDeclaration; parts: PartRequest[] } {
  const { bytes, sha256, parts } = parseWith(partsSchema, body);
  return { declaration: { bytes, sha256 }, parts };
}

export function parseCompleteUpload(body: unknown): UploadCompletion {
  const c = parseWith(completeUploadSchema, body);
  const recipients = c.recipients.map((r): CompletionRecipient => {
    const address = { email: r.email, ...(r.name ? { name: r.name } : {}), kind: r.kind };
    return r.secret !== undefined
      ? { ...address, secret: r.secret, ...(r.key !== undefined ? { key: r.key } : {}) }
      : { ...address, tokenHash: r.tokenHash as string, linkTokenHash: r.linkTokenHash as string };
  });
  return {
    recipients,
    ...(c.expiresInDays !== undefined ? { expiresInDays: c.expiresInDays } : {}),
    ...(c.maxViews !== undefined ? { maxViews: c.maxViews } : {}),
    ...(c.replyTo !== undefined ? { replyTo: c.replyTo } : {}),
    ...(c.verification !== undefined ? { verification: c.verification } : {}),
    ...(c.passcode !== undefined ? { passcode: c.passcode } : {}),
    ...(c.custodyPassword !== undefined ? { custodyPassword: c.custodyPassword } : {}),
  };
}
