/** What went wrong, in the three kinds a caller acts on differently (the CLI's exit codes follow them). */

/** An RFC 9457 problem body as sealpost sends it (docs/api.md). */
export interface ProblemBody {
  readonly type?: string;
  readonly title?: string;
  readonly status?: number;
  readonly detail?: string;
  readonly errors?: readonly { readonly field: string; readonly message: string }[];
  readonly retryAfter?: number;
  readonly [extension: string]: unknown;
}

/** The problem type of a send none of whose notifications was confirmed: sealpost discarded the message. */
export const DELIVERY_FAILED_PROBLEM = 'urn:sealpost:problem:delivery-failed';

/**
 * - `usage`: the call itself is wrong (a missing recipient, an unreadable file); nothing was sent.
 * - `refused`: sealpost answered 4xx; nothing was sent, and the same request will be refused again.
 * - `transient`: the network, a 5xx or a rate limit, still so after the retries; it is safe to retry
 *   the same call (sends carry an Idempotency-Key).
 */
export type ErrorKind = 'usage' | 'refused' | 'transient';

export class SealpostError extends Error {
  override readonly name = 'SealpostError';
  /**
   * A send that failed for a transient reason after sealpost may have committed it: the id of the
   * message that may have gone out all the same. Look it up (status) before sending it again: a new
   * send would be another message, with new links.
   */
  readonly maybeSentAs?: string;
  constructor(
    readonly kind: ErrorKind,
    message: string,
    readonly status?: number,
    readonly problem?: ProblemBody,
    options?: { cause?: unknown; maybeSentAs?: string },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    if (options?.maybeSentAs !== undefined) this.maybeSentAs = options.maybeSentAs;
  }
}

/** The error of an answer that is not a success: its problem body's detail (and field errors) when it has one. */
export function errorOf(status: number, problem: ProblemBody | undefined): SealpostError {
  const fields = problem?.errors?.length ? ` (${problem.errors.slice(0, 5).map((e) => `${e.field}: ${e.message}`).join('; ')})` : '';
  const message = `${problem?.detail ?? problem?.title ?? `HTTP ${status}`}${fields}`;
  const transient = status >= 500 || status === 429 || status === 408;
  return new SealpostError(transient ? 'transient' : 'refused', message, status, problem);
}
