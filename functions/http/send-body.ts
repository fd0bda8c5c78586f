/**
 * The body of a send (POST /v1/messages), checked without zod. zod and the send schema built at
 * module load were the largest single part of what a cold sender API ran before it answered its
 * first send: about 15 ms of JavaScript, and 100 KB to compile (npm run bench, profiled by module).
 *
 * The zod schema stays (sendRequestSchema in schemas.ts): the OpenAPI document is generated from
 * it, and it is built from the limits, patterns and messages below. test/http/send-body.test.ts
 * holds the two to the same verdict, the same value, and the same issues — field by field and
 * message by message, in order — on generated bodies. So this file follows zod's rules where a
 * client could see them:
 * - a wrong type (or a missing field) reads "is required", and stops the checks of that field;
 * - every failed limit or pattern of a field is named, in the order declared;
 * - an array longer than its maximum is named alone: its elements are not checked;
 * - a recipient that is neither a valid string nor a well-typed {"email","name"} object is one
 *   issue, "must be an email address or {…}";
 * - unknown fields come after the fields of their object;
 * - the cross-field rule (text or html) is checked only when no field had the wrong type.
 */
import {
  CONTROL_CHARS, EMAIL_PATTERN, codePointLength, MAX_EXPIRY_DAYS, MAX_VIEWS, MIN_EXPIRY_DAYS, PayloadTooLargeError, validationErrorOf, type Address, type FieldIssue,
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
/** Decoded bodies + attachments. Lambda requests stop at 6 MB, and base64 inflates by a third. */
export const MAX_CONTENT_BYTES = 4 * 1024 * 1024;

/**
 * A label is shown as a row's title in the inbox: no formatting characters (zero-width, bidi marks,
 * soft hyphen, tags), no blank letters (Hangul and halfwidth fillers, the blank Braille pattern),
 * and at least one visible character, so no row reads as empty or as something it is not.
 */
export const INVISIBLE = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\u115F\u1160\u3164\uFFA0\u2800]/u;
export const VISIBLE = /[\p{L}\p{N}\p{P}\p{S}]/u;
export const MEDIA_TYPE = /^[a-z0-9][a-z0-9!#$&^_.+-]{0,126}\/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}$/i;
// A flat character class: a grouped, repeated pattern overflows V8's regex stack on megabyte inputs.
const BASE64_CHARS = /^[A-Za-z0-9+/]*={0,2}$/;
export const isBase64 = (v: string) => v.length % 4 === 0 && BASE64_CHARS.test(v);
export const hasNoControls = (v: string) => !CONTROL_CHARS.test(v);

/** The messages a client reads, shared with the zod schema (schemas.ts). */
export const SEND_MESSAGES = {
  notEmail: 'is not a valid email address',
  emailTooLong: 'is longer than 254 characters',
  nameControls: 'name must not contain line breaks or control characters',
  recipient: 'must be an email address or {"email": "...", "name": "..."}',
  noRecipient: 'needs at least one recipient',
  tooManyTo: `allows at most ${MAX_TO} recipients`,
  tooManyCc: `allows at most ${MAX_CC} recipients`,
  required: 'is required',
  subjectTooLong: 'is longer than 250 characters',
  controls: 'must not contain line breaks or control characters',
  filenameTooLong: 'is longer than 255 characters',
  path: 'must be a file name, not a path',
  mediaType: 'must be a media type such as "application/pdf"',
  base64: 'must be standard base64',
  tooManyAttachments: `allows at most ${MAX_ATTACHMENTS} attachments`,
  whole: 'must be a whole number',
  expiryTooShort: `must be at least ${MIN_EXPIRY_DAYS}`,
  expiryTooLong: `must be at most ${MAX_EXPIRY_DAYS}`,
  viewsTooFew: 'must be at least 1',
  viewsTooMany: `must be at most ${MAX_VIEWS}`,
  verification: 'Invalid option: expected one of "none"|"email-code"',
  empty: 'must not be empty',
  passcodeTooLong: 'is longer than 100 characters',
  blank: 'must not be only white space',
  labelTooLong: `is longer than ${MAX_LABEL} characters`,
  invisible: 'must not contain invisible or formatting characters',
  noVisible: 'needs a visible character',
  textOrHtml: 'give "text", "html" or both',
} as const;
const M = SEND_MESSAGES;

/** The name's limit, zod's own wording (the schema gives it no message of its own). */
const MAX_NAME = 200;
const NAME_TOO_LONG = `Too big: expected string to have <=${MAX_NAME} characters`;
export { MAX_NAME };

export type Recipient = string | { email: string; name?: string };
/** A send request as a client writes it. */
export type SendRequest = {
  to: Recipient[];
  cc?: Recipient[] | undefined;
  subject: string;
  text?: string | undefined;
  html?: string | undefined;
  attachments?: { filename: string; contentType: string; content: string }[] | undefined;
  expiresInDays?: number | undefined;
  maxViews?: number | undefined;
  replyTo?: string | undefined;
  verification?: 'none' | 'email-code' | undefined;
  passcode?: string | undefined;
  label?: string | undefined;
};
/** A send request once checked: cc and attachments present. */
export type CheckedSend = SendRequest & { cc: Recipient[]; attachments: NonNullable<SendRequest['attachments']> };

/** Where issues go while a body is checked, and whether one of them was a wrong type. */
class Issues {
  readonly list: FieldIssue[] = [];
  wrongType = false;
  add(field: string, message: string): void {
    this.list.push({ field, message });
  }
  typeError(field: string, message: string = M.required): void {
    this.wrongType = true;
    this.add(field, message);
  }
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const own = (input: Record<string, unknown>, key: string) => (Object.hasOwn(input, key) ? input[key] : undefined);

/**
 * A limit on a length — zod's and JSON Schema's: a string's in Unicode code points, an array's in
 * items. zod also measures a value of the wrong type that has a length (a string where an array
 * belongs, an array where a string does), after saying its type is wrong, so this does too.
 */
interface LengthCheck {
  readonly bound: 'min' | 'max';
  readonly limit: number;
  readonly message: string;
}
/** A test of a string's content. */
type ContentCheck = readonly [ok: (value: string) => boolean, message: string];
type StringCheck = LengthCheck | ContentCheck;
const min = (limit: number, message: string): LengthCheck => ({ bound: 'min', limit, message });
const max = (limit: number, message: string): LengthCheck => ({ bound: 'max', limit, message });

/** Whether `value` breaks a length check (a value with no length breaks none). */
function breaks(check: LengthCheck, value: unknown): boolean {
  if (value === null || value === undefined) return false;
  const units = (value as { length?: unknown }).length as number | undefined;
  if (units === undefined) return false;
  // As zod compares: a length that is not a number fails both bounds.
  if (typeof value !== 'string' || typeof units !== 'number') return check.bound === 'max' ? !(units <= check.limit) : !(units >= check.limit);
  // A code point is one or two UTF-16 units: count them only when the units leave it in doubt (a
  // few megabytes of subject are refused without a loop over them).
  if (check.bound === 'max') return units > check.limit && (units > 2 * check.limit || codePointLength(value) > check.limit);
  return units < 2 * check.limit && (units < check.limit || codePointLength(value) < check.limit);
}

const isLengthCheck = (check: StringCheck): check is LengthCheck => !Array.isArray(check);
const EMAIL_CHECKS: readonly StringCheck[] = [max(254, M.emailTooLong), [(v) => EMAIL_PATTERN.test(v), M.notEmail]];
const NAME_CHECKS: readonly StringCheck[] = [max(MAX_NAME, NAME_TOO_LONG), [hasNoControls, M.nameControls]];
const SUBJECT_CHECKS: readonly StringCheck[] = [min(1, M.required), max(250, M.subjectTooLong), [hasNoControls, M.controls]];
const FILENAME_CHECKS: readonly StringCheck[] = [min(1, M.required), max(255, M.filenameTooLong), [hasNoControls, M.controls], [(v) => !/[\\/]/.test(v), M.path]];
const PASSCODE_CHECKS: readonly StringCheck[] = [min(1, M.empty), max(100, M.passcodeTooLong), [hasNoControls, M.controls], [(v) => normalizePasscode(v) !== '', M.blank]];
const LABEL_CHECKS: readonly StringCheck[] = [
  min(1, M.empty), max(MAX_LABEL, M.labelTooLong), [hasNoControls, M.controls], [(v) => !INVISIBLE.test(v), M.invisible], [(v) => VISIBLE.test(v), M.noVisible],
];

/** A value of the wrong type: "is required" (or `message`), then whatever its length breaks. */
function wrongType(issues: Issues, field: string, value: unknown, checks: readonly StringCheck[], message: string = M.required): void {
  issues.typeError(field, message);
  for (const check of checks) if (isLengthCheck(check) && breaks(check, value)) issues.add(field, check.message);
}

/** A string field: the failed checks' messages, or a wrong type. */
function checkString(issues: Issues, field: string, value: unknown, checks: readonly StringCheck[]): void {
  if (typeof value !== 'string') return wrongType(issues, field, value, checks);
  for (const check of checks) {
    if (isLengthCheck(check) ? breaks(check, value) : !check[0](value)) issues.add(field, isLengthCheck(check) ? check.message : check[1]);
  }
}

/** An integer field: a whole number (a safe integer) within [low, high], each failed bound named. */
function checkInteger(issues: Issues, field: string, value: unknown, low: readonly [number, string], high: readonly [number, string]): void {
  if (typeof value !== 'number' || !Number.isInteger(value)) return issues.typeError(field);
  if (!Number.isSafeInteger(value)) issues.add(field, M.whole);
  if (value < low[0]) issues.add(field, low[1]);
  if (value > high[0]) issues.add(field, high[1]);
}

/** Unknown fields of an object, named after its own issues. */
function checkUnknown(issues: Issues, field: string, input: Record<string, unknown>, known: ReadonlySet<string>): void {
  const unknown = Object.keys(input).filter((key) => !known.has(key));
  if (unknown.length > 0) issues.add(field, `unknown field(s): ${unknown.join(', ')}`);
}

const RECIPIENT_FIELDS: ReadonlySet<string> = new Set(['email', 'name']);
const ATTACHMENT_FIELDS: ReadonlySet<string> = new Set(['filename', 'contentType', 'content']);
const SEND_FIELDS: ReadonlySet<string> = new Set([
  'to', 'cc', 'subject', 'text', 'html', 'attachments', 'expiresInDays', 'maxViews', 'replyTo', 'verification', 'passcode', 'label',
]);

/** One recipient: a valid address string, or {email, name?} (its own issues if well typed, otherwise one issue). */
function checkRecipient(issues: Issues, field: string, value: unknown): void {
  if (typeof value === 'string') return checkString(issues, field, value, EMAIL_CHECKS);
  const email = isObject(value) ? own(value, 'email') : undefined;
  const name = isObject(value) ? own(value, 'name') : undefined;
  if (!isObject(value) || typeof email !== 'string' || (name !== undefined && typeof name !== 'string')) return issues.typeError(field, M.recipient);
  checkString(issues, `${field}/email`, email, EMAIL_CHECKS);
  if (name !== undefined) checkString(issues, `${field}/name`, name, NAME_CHECKS);
  checkUnknown(issues, field, value, RECIPIENT_FIELDS);
}

function checkAttachment(issues: Issues, field: string, value: unknown): void {
  if (!isObject(value)) return issues.typeError(field);
  checkString(issues, `${field}/filename`, own(value, 'filename'), FILENAME_CHECKS);
  checkString(issues, `${field}/contentType`, own(value, 'contentType'), [[(v) => MEDIA_TYPE.test(v), M.mediaType]]);
  checkString(issues, `${field}/content`, own(value, 'content'), [[isBase64, M.base64]]);
  checkUnknown(issues, field, value, ATTACHMENT_FIELDS);
}

/**
 * An array field: longer than its maximum is named alone — its elements are not read, so nothing
 * after it counts as well typed; otherwise each element, then a shortfall under its minimum.
 */
function checkArray(
  issues: Issues, field: string, value: unknown, checks: readonly LengthCheck[], element: (issues: Issues, field: string, value: unknown) => void,
): void {
  if (!Array.isArray(value)) return wrongType(issues, field, value, checks);
  const tooMany = checks.find((check) => check.bound === 'max' && breaks(check, value));
  if (tooMany) return issues.typeError(field, tooMany.message);
  value.forEach((item, index) => element(issues, `${field}/${index}`, item));
  for (const check of checks) if (breaks(check, value)) issues.add(field, check.message);
}

/** The send body: the request it is (cc and attachments default to []), or every issue found. */
export function checkSendRequest(body: unknown): { ok: true; value: CheckedSend } | { ok: false; issues: FieldIssue[] } {
  const issues = new Issues();
  if (!isObject(body)) {
    issues.typeError('(body)');
    return { ok: false, issues: issues.list };
  }
  const field = (key: string) => own(body, key);
  checkArray(issues, 'to', field('to'), [min(1, M.noRecipient), max(MAX_TO, M.tooManyTo)], checkRecipient);
  if (field('cc') !== undefined) checkArray(issues, 'cc', field('cc'), [max(MAX_CC, M.tooManyCc)], checkRecipient);
  checkString(issues, 'subject', field('subject'), SUBJECT_CHECKS);
  if (field('text') !== undefined) checkString(issues, 'text', field('text'), []);
  if (field('html') !== undefined) checkString(issues, 'html', field('html'), []);
  if (field('attachments') !== undefined) checkArray(issues, 'attachments', field('attachments'), [max(MAX_ATTACHMENTS, M.tooManyAttachments)], checkAttachment);
  if (field('expiresInDays') !== undefined) {
    checkInteger(issues, 'expiresInDays', field('expiresInDays'), [MIN_EXPIRY_DAYS, M.expiryTooShort], [MAX_EXPIRY_DAYS, M.expiryTooLong]);
  }
  if (field('maxViews') !== undefined) checkInteger(issues, 'maxViews', field('maxViews'), [1, M.viewsTooFew], [MAX_VIEWS, M.viewsTooMany]);
  if (field('replyTo') !== undefined) checkString(issues, 'replyTo', field('replyTo'), EMAIL_CHECKS);
  const verification = field('verification');
  if (verification !== undefined && verification !== 'none' && verification !== 'email-code') issues.typeError('verification', M.verification);
  if (field('passcode') !== undefined) checkString(issues, 'passcode', field('passcode'), PASSCODE_CHECKS);
  if (field('label') !== undefined) checkString(issues, 'label', field('label'), LABEL_CHECKS);
  checkUnknown(issues, '(body)', body, SEND_FIELDS);
  if (!issues.wrongType && field('text') === undefined && field('html') === undefined) issues.add('text', M.textOrHtml);
  if (issues.list.length > 0) return { ok: false, issues: issues.list };
  const value: Record<string, unknown> = { cc: [], attachments: [] };
  for (const key of SEND_FIELDS) if (field(key) !== undefined) value[key] = field(key);
  return { ok: true, value: value as unknown as CheckedSend };
}

function toAddress(value: Recipient): Address {
  return typeof value === 'string' ? { email: value } : { email: value.email, ...(value.name ? { name: value.name } : {}) };
}

/** Validates and decodes a send request, or throws ValidationError / PayloadTooLargeError. */
export function parseSendRequest(body: unknown): OutboundMessage {
  const checked = checkSendRequest(body);
  if (!checked.ok) throw validationErrorOf(checked.issues);
  const m = checked.value;
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
