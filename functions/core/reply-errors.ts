/**
 * The error of secure replies. It lives here only while errors.ts is being changed elsewhere; it
 * belongs in errors.ts, beside the other AppError subclasses, and http/problem.ts maps its kind
 * ('reply-rate-limited' → 429).
 */
import { AppError, type ProblemExtensions } from './errors.ts';

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
