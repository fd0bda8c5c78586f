/**
 * The portal's four JSON bodies — an open, a code request, an inbox sign-in and its verification —
 * declared as field rules and checked without zod. These bodies are a few short strings and one
 * small integer, and zod (about 90 KB of the portal's bundle, and its schemas built at load) was a
 * fifth of what a cold portal compiled and ran before it could answer an open (npm run bench).
 *
 * One declaration serves both sides: `checkBody` validates a request with it, and `zodSchemaOf`
 * (zod-schema-of.ts, used only by the OpenAPI document, which has zod anyway) turns it into the
 * zod schema the document is generated from. test/http/portal-bodies.test.ts holds the two to the
 * same verdicts and the same issues, field by field and message by message, on generated bodies.
 * The issues read as zod's did (toIssues in schemas.ts), so clients see no change.
 */
import { EMAIL_PATTERN, codePointLength, validationErrorOf, type FieldIssue } from '../core/shared/index.ts';
import { TENANT_ID_PATTERN } from '../core/tenants/index.ts';

/** A string field: at most `max` characters (Unicode code points, as zod and JSON Schema count them), each pattern matched. */
export interface StringRule {
  readonly type: 'string';
  readonly optional?: true;
  readonly max?: { readonly value: number; readonly message?: string };
  readonly patterns?: readonly { readonly regex: RegExp; readonly message: string }[];
}

/** An integer field (a safe integer) within [min, max]. */
export interface IntegerRule {
  readonly type: 'integer';
  readonly optional?: true;
  readonly min: number;
  readonly max: number;
}

export type FieldRule = StringRule | IntegerRule;
/** A JSON object with these fields and no other. */
export type BodyRules = Readonly<Record<string, FieldRule>>;

type ValueOf<R extends FieldRule> = R extends StringRule ? string : number;
/** The object a body of `B` is once checked: optional fields may be absent. */
export type BodyOf<B extends BodyRules> =
  { -readonly [K in keyof B as B[K] extends { optional: true } ? never : K]: ValueOf<B[K]> } &
  { -readonly [K in keyof B as B[K] extends { optional: true } ? K : never]?: ValueOf<B[K]> };

const TOKEN_MAX = { value: 128 } as const;
const SIX_DIGITS = { regex: /^\d{6}$/, message: 'must be the 6 digits from the email' } as const;
const EMAIL = {
  type: 'string', max: { value: 254, message: 'must be at most 254 characters' }, patterns: [{ regex: EMAIL_PATTERN, message: 'must be an email address' }],
} as const satisfies StringRule;

/**
 * POST /m/:id/open. `token` and `link` are checked by the pickup itself (a malformed one is the same
 * "not available" as a wrong one); `code` and `grant` have a fixed shape.
 */
export const OPEN_BODY = {
  link: { type: 'string', optional: true, max: TOKEN_MAX },
  token: { type: 'string', max: TOKEN_MAX },
  code: { type: 'string', optional: true, patterns: [SIX_DIGITS] },
  grant: { type: 'string', optional: true, patterns: [{ regex: /^[A-Za-z0-9_-]{43}$/, message: 'must be 43 base64url characters' }] },
  part: { type: 'integer', optional: true, min: 0, max: 1000 },
  /** The tenant the page was served for (its meta data-tenant): a hint the open reads with the message (OpenContext.tenantHint). */
  tenant: { type: 'string', optional: true, patterns: [{ regex: TENANT_ID_PATTERN, message: 'must be a tenant id (1–64 letters, digits, "-" or "_")' }] },
} as const satisfies BodyRules;

/** POST /m/:id/code: the same identification as an open, to send a new code. */
export const CODE_BODY = {
  link: { type: 'string', optional: true, max: TOKEN_MAX },
  token: { type: 'string', max: TOKEN_MAX },
} as const satisfies BodyRules;

/** POST /inbox/api/:tenantId/sign-in. */
export const SIGN_IN_BODY = { email: EMAIL } as const satisfies BodyRules;

/** POST /inbox/api/:tenantId/verify. */
export const VERIFY_BODY = { email: EMAIL, code: { type: 'string', patterns: [SIX_DIGITS] } } as const satisfies BodyRules;

export type OpenBody = BodyOf<typeof OPEN_BODY>;
export type CodeBody = BodyOf<typeof CODE_BODY>;

const REQUIRED = 'is required';

function stringIssues(rule: StringRule, value: string): string[] {
  const messages: string[] = [];
  if (rule.max && value.length > rule.max.value && (value.length > 2 * rule.max.value || codePointLength(value) > rule.max.value)) messages.push(rule.max.message ?? `Too big: expected string to have <=${rule.max.value} characters`);
  for (const { regex, message } of rule.patterns ?? []) if (!regex.test(value)) messages.push(message);
  return messages;
}

function integerIssues(rule: IntegerRule, value: number): string[] {
  const messages: string[] = [];
  // A safe integer, as zod's int() asks; then the bounds, each reported, as zod reports them.
  if (value > Number.MAX_SAFE_INTEGER) messages.push(`Too big: expected int to be <=${Number.MAX_SAFE_INTEGER}`);
  if (value < Number.MIN_SAFE_INTEGER) messages.push(`Too small: expected int to be >=${Number.MIN_SAFE_INTEGER}`);
  if (value < rule.min) messages.push(`Too small: expected number to be >=${rule.min}`);
  if (value > rule.max) messages.push(`Too big: expected number to be <=${rule.max}`);
  return messages;
}

function fieldIssues(rule: FieldRule, value: unknown): string[] {
  if (rule.type === 'string') return typeof value === 'string' ? stringIssues(rule, value) : [REQUIRED];
  // Not a number, or not a whole one: the wrong type ("is required", as every wrong type reads).
  return typeof value === 'number' && Number.isInteger(value) ? integerIssues(rule, value) : [REQUIRED];
}

/** The body, checked against `rules`: its fields (absent optional ones left out), or every issue found. */
export function checkBody<B extends BodyRules>(rules: B, body: unknown): { ok: true; value: BodyOf<B> } | { ok: false; issues: FieldIssue[] } {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return { ok: false, issues: [{ field: '(body)', message: REQUIRED }] };
  const input = body as Record<string, unknown>;
  const issues: FieldIssue[] = [];
  const value: Record<string, unknown> = {};
  for (const [field, rule] of Object.entries(rules)) {
    const present = Object.hasOwn(input, field) ? input[field] : undefined;
    if (present === undefined) {
      if (!rule.optional) issues.push({ field, message: REQUIRED });
      continue;
    }
    const messages = fieldIssues(rule, present);
    for (const message of messages) issues.push({ field, message });
    // -0 reads as 0, as JSON would write it.
    if (messages.length === 0) value[field] = present === 0 ? 0 : present;
  }
  const unknown = Object.keys(input).filter((key) => !Object.hasOwn(rules, key));
  if (unknown.length > 0) issues.push({ field: '(body)', message: `unknown field(s): ${unknown.join(', ')}` });
  return issues.length > 0 ? { ok: false, issues } : { ok: true, value: value as BodyOf<B> };
}

/** The body checked against `rules`, or a ValidationError (`detail`, or the first issue) naming every wrong field. */
export function parseBody<B extends BodyRules>(rules: B, body: unknown, detail?: string): BodyOf<B> {
  const checked = checkBody(rules, body);
  if (checked.ok) return checked.value;
  throw validationErrorOf(checked.issues, detail);
}
