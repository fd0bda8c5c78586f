/**
 * The one error vocabulary of sealpost. Core and adapters throw these; only http/problem.ts maps
 * them to status codes and RFC 9457 bodies. Messages (`detail`) are written for the API user and
 * must never contain a secret, token, code, API key or message content.
 */
export abstract class AppError extends Error {
  abstract readonly kind: string;
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

/** A log-safe one-line description: error name and message, plus the cause of a DependencyError. */
export function describeError(error: unknown): string {
  const one = (e: unknown) => (e instanceof Error ? `${e.name}: ${e.message}` : String(e)).slice(0, 300);
  return error instanceof DependencyError && error.cause !== undefined ? `${one(error)} (cause ${one(error.cause)})` : one(error);
}
