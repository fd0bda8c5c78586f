/**
 * Errors → RFC 9457 problem details. The only place that knows HTTP status codes. 5xx bodies are
 * generic; the cause goes to the log under the request id, never into the response.
 */
import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import {
  AppError, DeliveryFailedError, DependencyError, ValidationError, describeError, type FieldIssue, type Logger,
} from '../core/shared/index.ts';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

const STATUS: Record<string, { status: ContentfulStatusCode; title: string }> = {
  validation: { status: 422, title: 'Invalid request' },
  malformed: { status: 400, title: 'Malformed request' },
  'unsupported-media-type': { status: 415, title: 'Unsupported media type' },
  'payload-too-large': { status: 413, title: 'Payload too large' },
  unauthorized: { status: 401, title: 'Unauthorized' },
  forbidden: { status: 403, title: 'Forbidden' },
  'not-found': { status: 404, title: 'Not found' },
  'message-unavailable': { status: 404, title: 'Not available' },
  conflict: { status: 409, title: 'Conflict' },
  'idempotency-mismatch': { status: 422, title: 'Idempotency-Key reused' },
  dependency: { status: 503, title: 'Service unavailable' },
  'delivery-failed': { status: 502, title: 'Delivery failed' },
  'verification-required': { status: 403, title: 'Verification required' },
  'code-wrong': { status: 403, title: 'Wrong code' },
  'passcode-wrong': { status: 403, title: 'Wrong passcode' },
  locked: { status: 429, title: 'Locked' },
  'code-rate-limited': { status: 429, title: 'Too many codes' },
  'reply-rate-limited': { status: 429, title: 'Too many replies' },
};

export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  detail: string;
  requestId: string;
  errors?: readonly { field: string; message: string }[];
  /** How many issues `errors` leaves out (see boundedIssues). */
  moreErrors?: number;
  recipients?: readonly { email: string; status: string; reason: string }[];
  /** Extensions of the verification problems (never a code, passcode or token). */
  attemptsLeft?: number;
  retryAfter?: number;
  sentTo?: string;
  expiresAt?: string;
}

export function problemType(kind: string): string {
  return `urn:sealpost:problem:${kind}`;
}

/*
 * What a problem echoes of a request is bounded, so no request can make its error body big: 400,000
 * unknown keys once came back as a 3.5 MB answer. The issues listed are the first MAX_ISSUES that
 * fit in MAX_ISSUE_BYTES as JSON; with a detail of at most MAX_DETAIL_CHARS (6 bytes each at worst,
 * as JSON escapes a control character) and the fixed members, a problem body stays under 16 KB.
 */
export const MAX_ISSUES = 20;
export const MAX_FIELD_CHARS = 100;
export const MAX_MESSAGE_CHARS = 300;
const MAX_DETAIL_CHARS = 1000;
const MAX_ISSUE_BYTES = 8 * 1024;
/** What the bounds above guarantee for every problem body but delivery-failed's, which lists each of at most 100 recipients. */
export const MAX_PROBLEM_BYTES = 16 * 1024;

/** `text` cut to at most `max` UTF-16 units, ending in an ellipsis, never between the halves of a surrogate pair. */
function clip(text: string, max: number): string {
  if (text.length <= max) return text;
  let end = max - 1;
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end--;
  return `${text.slice(0, end)}…`;
}

/** The issues a 422 lists, clipped and bounded as above; `more` counts those left out. */
export function boundedIssues(issues: readonly FieldIssue[]): { errors: FieldIssue[]; more: number } {
  const errors: FieldIssue[] = [];
  let bytes = 2;
  for (const issue of issues) {
    if (errors.length === MAX_ISSUES) break;
    const clipped = { field: clip(issue.field, MAX_FIELD_CHARS), message: clip(issue.message, MAX_MESSAGE_CHARS) };
    bytes += Buffer.byteLength(JSON.stringify(clipped)) + 1;
    if (bytes > MAX_ISSUE_BYTES) break;
    errors.push(clipped);
  }
  return { errors, more: issues.length - errors.length };
}

export function problem(c: Context, status: ContentfulStatusCode, kind: string, title: string, detail: string, extra: Partial<ProblemBody> = {}): Response {
  const body: ProblemBody = { type: problemType(kind), title, status, detail: clip(detail, MAX_DETAIL_CHARS), requestId: c.get('requestId') ?? 'unknown', ...extra };
  if (status === 401) c.header('WWW-Authenticate', 'Bearer realm="sealpost"');
  return c.body(JSON.stringify(body), status, { 'Content-Type': PROBLEM_CONTENT_TYPE });
}

export function errorToResponse(error: unknown, c: Context, logger: Logger): Response {
  const requestId = c.get('requestId');
  if (error instanceof AppError) {
    const mapped = STATUS[error.kind] ?? { status: 500 as const, title: 'Internal error' };
    if (error instanceof DependencyError) {
      logger.error('dependency_failed', { requestId, dependency: error.dependency, cause: describeError(error.cause) });
    }
    const extra: Partial<ProblemBody> = { ...error.extensions };
    if (error.retryAfter !== undefined) c.header('Retry-After', String(error.retryAfter));
    if (error instanceof ValidationError && error.issues.length > 0) {
      const { errors, more } = boundedIssues(error.issues);
      extra.errors = errors;
      if (more > 0) extra.moreErrors = more;
    }
    if (error instanceof DeliveryFailedError) extra.recipients = error.recipients;
    return problem(c, mapped.status, error.kind, mapped.title, error.detail, extra);
  }
  logger.error('unhandled_error', { requestId, cause: describeError(error) });
  return problem(c, 500, 'internal', 'Internal error', 'Something went wrong on our side. Nothing was lost that we know of; quote the request id if you contact support.');
}

/** 405 with the Allow header, for a known path asked with a method it does not support. */
export function methodNotAllowed(c: Context, allow: readonly string[]): Response {
  c.header('Allow', allow.join(', '));
  return problem(c, 405, 'method-not-allowed', 'Method not allowed', `This address supports ${allow.join(', ')}.`);
}
