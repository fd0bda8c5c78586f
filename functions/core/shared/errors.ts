/**
 * The one error vocabulary of sealpost. Core and adapters throw these; only http/problem.ts maps
 * them to status codes and RFC 9457 bodies. Messages (`detail`) are written for the API user and
 * must never contain a secret, token, code, API key or message content.
 */
/** Members a problem body carries besides the standard ones (RFC 9457 extensions). Never a secret, token, code or passcode. */
export type ProblemExtensions = Readonly<Record<string, string | number>>;

export abstract class AppError extends Error {
  abstract readonly kind: string;
  /** Extra members of the problem body, e.g. `attemptsLeft`. */
  readonly extensions?: ProblemExtensions;
  /** Seconds, sent as the Retry-After header (and usually also as `retryAfter` in the body). */
  readonly retryAfter?: number;
  constructor(public readonly detail: string) {
    super(detail);
    this.name = new.target.name;
  }
}

export interface FieldIssue {
  /** JSON pointer-ish path, e.g. "to/3" or "attachments/0/filename". */
  readonly field: string;
  readonly message: string;
}

/** The request is well-formed JSON but breaks a rule. Nothing was stored or sent. */
export class ValidationError extends AppError {
  readonly kind = 'validation';
  constructor(detail: string, public readonly issues: readonly FieldIssue[] = []) {
    super(detail);
  }
}

/** A ValidationError naming every issue; its detail `detail`, or the first issue and how many more there are. */
export function validationErrorOf(issues: readonly FieldIssue[], detail?: string): ValidationError {
  const [first] = issues;
  return new ValidationError(
    detail ?? (first ? `${first.field}: ${first.message}` + (issues.length > 1 ? ` (and ${issues.length - 1} more)` : '') : 'invalid request'),
    issues,
  );
}

/** The body is not parseable JSON. */
export class MalformedRequestError extends AppError {
  readonly kind = 'malformed';
}

export class UnsupportedMediaTypeError extends AppError {
  readonly kind = 'unsupported-media-type';
}

export class PayloadTooLargeError extends AppError {
  readonly kind = 'payload-too-large';
}

/** Missing, unknown or revoked credential. One message for all, so keys cannot be probed. */
export class UnauthorizedError extends AppError {
  readonly kind = 'unauthorized';
  constructor(detail = 'A valid API key is required: send it as "Authorization: Bearer <key>".') {
    super(detail);
  }
}

/** A valid key without the scope the route needs (a send key on an admin route). */
export class ForbiddenError extends AppError {
  readonly kind = 'forbidden';
  constructor(detail = 'This API key may not do this: it needs the "admin" scope. Create an admin key or use one.') {
    super(detail);
  }
}

/** The resource does not exist *for this tenant* (another tenant's id looks exactly the same). */
export class NotFoundError extends AppError {
  readonly kind = 'not-found';
}

/**
 * A pickup that cannot be served: unknown, expired, revoked or wrong token. Deliberately one error
 * with one text, so a caller learns nothing about which of those it was.
 */
export class MessageUnavailableError extends AppError {
  readonly kind = 'message-unavailable';
  constructor() {
    super('This message is not available. It may have expired or been revoked, or the link is incomplete.');
  }
}

/** A request conflicts with state, e.g. an idempotency key reused with a different body, or still in flight. */
export class ConflictError extends AppError {
  readonly kind = 'conflict';
  /** `retryAfter`: the conflict is another request still running; the same request may succeed after that many seconds. */
  constructor(detail: string, options: { readonly retryAfter?: number } = {}) {
    super(detail);
    if (options.retryAfter !== undefined) {
      Object.defineProperty(this, 'retryAfter', { value: options.retryAfter, enumerable: true });
      Object.defineProperty(this, 'extensions', { value: { retryAfter: options.retryAfter }, enumerable: true });
    }
  }
}

/**
 * A dependency (DynamoDB, SES, KMS) failed. `detail` says what happened to the request as a whole
 * (e.g. "nothing was stored or sent"); the cause is logged, never returned.
 */
export class DependencyError extends AppError {
  readonly kind = 'dependency';
  constructor(detail: string, public readonly dependency: string, public override readonly cause?: unknown) {
    super(detail);
  }
}

/**
 * Every notification failed, so the message was discarded (its secrets existed only in those emails).
 * Carries the per-recipient outcome so the sender knows exactly what happened.
 */
export class DeliveryFailedError extends AppError {
  readonly kind = 'delivery-failed';
  constructor(detail: string, public readonly recipients: readonly { email: string; status: 'failed'; reason: string }[]) {
    super(detail);
  }
}

/** An Idempotency-Key was reused with a different request body. */
export class IdempotencyKeyMismatchError extends AppError {
  readonly kind = 'idempotency-mismatch';
  constructor() {
    super('This Idempotency-Key was already used with a different request body. Use a new key for a new message.');
  }
}

/**
 * Too many wrong codes or passcodes for this recipient: every answer is refused until the lock ends
 * (`retryAfter` seconds), right or wrong, so parallel guessing learns nothing more.
 */
export class LockedError extends AppError {
  readonly kind = 'locked';
  override readonly extensions: ProblemExtensions;
  constructor(override readonly retryAfter: number) {
    super(`Too many wrong attempts. Opening this message is locked for ${Math.ceil(retryAfter / 60)} minute(s); try again after that.`);
    this.extensions = { retryAfter };
  }
}

/** The passcode did not match (counted: `attemptsLeft` more wrong answers lock the pickup). */
export class PasscodeWrongError extends AppError {
  readonly kind = 'passcode-wrong';
  override readonly extensions: ProblemExtensions;
  constructor(attemptsLeft: number) {
    super(`The passcode is not right. ${attemptsLeft} attempt(s) left before opening is locked for a while.`);
    this.extensions = { attemptsLeft };
  }
}

/** The code is wrong, expired or already used (a wrong one is counted like a wrong passcode). */
export class CodeWrongError extends AppError {
  readonly kind = 'code-wrong';
  override readonly extensions: ProblemExtensions;
  constructor(attemptsLeft: number) {
    super(`The code is not right, has expired or was already used. ${attemptsLeft} attempt(s) left before opening is locked for a while.`);
    this.extensions = { attemptsLeft };
  }
}

/** The message needs an emailed code: one was just sent to `sentTo` (masked), valid until `expiresAt`. */
export class VerificationRequiredError extends AppError {
  readonly kind = 'verification-required';
  override readonly extensions: ProblemExtensions;
  constructor(sentTo: string, expiresAt: string) {
    super(`We sent a 6-digit code to ${sentTo}. Send it with the next request as "code"; it works for 10 minutes.`);
    this.extensions = { sentTo, expiresAt };
  }
}

/** No new code now: the last one was sent less than 30 seconds ago, or 5 were sent this hour. */
export class CodeRateLimitedError extends AppError {
  readonly kind = 'code-rate-limited';
  override readonly extensions: ProblemExtensions;
  constructor(override readonly retryAfter: number) {
    super(`A new code can be sent in ${retryAfter} second(s). Use the last code you received until then.`);
    this.extensions = { retryAfter };
  }
}

/**
 * A recipient has sent as many replies to this message as the window allows. `retryAfter` (seconds,
 * at least 1) is when the window ends: the Retry-After header and the problem's `retryAfter`.
 */
export class ReplyRateLimitedError extends AppError {
  readonly kind = 'reply-rate-limited';
  override readonly extensions: ProblemExtensions;
  constructor(override readonly retryAfter: number, limit: number) {
    super(`You can send at most ${limit} replies to a message per hour. Try again in ${describeWait(retryAfter)}.`);
    this.extensions = { retryAfter };
  }
}

function describeWait(seconds: number): string {
  if (seconds < 60) return seconds === 1 ? '1 second' : `${seconds} seconds`;
  const minutes = Math.ceil(seconds / 60);
  return minutes === 1 ? '1 minute' : `${minutes} minutes`;
}

/** A log-safe one-line description: error name and message, plus the cause of a DependencyError. */
export function describeError(error: unknown): string {
  const one = (e: unknown) => (e instanceof Error ? `${e.name}: ${e.message}` : String(e)).slice(0, 300);
  return error instanceof DependencyError && error.cause !== undefined ? `${one(error)} (cause ${one(error.cause)})` : one(error);
}
