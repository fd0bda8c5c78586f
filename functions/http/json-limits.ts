/**
 * Bounds on the shape of a JSON body, checked on the raw text before it is parsed and validated.
 * The byte limit alone lets 6 MB hold 400,000 keys or 100,000 levels of nesting, and each costs
 * the parser and the schema (and once cost the error body) far more than any real request: the
 * largest one, a send to 100 named recipients with 20 attachments, holds about 400 values and
 * nests 3 levels deep. One pass over the text, iterative, stopping at the first value past a limit.
 */
import { MalformedRequestError, PayloadTooLargeError } from '../core/shared/index.ts';

/** Raw request body limit, just under API Gateway/Lambda's 6 MB. */
export const MAX_REQUEST_BYTES = 6 * 1000 * 1000 - 1024;

export const MAX_JSON_DEPTH = 32;
export const MAX_JSON_VALUES = 10_000;

export interface JsonLimits {
  /** Arrays and objects open at once. */
  readonly depth: number;
  /** Array items plus object members, at every level (an empty array or object counts as one). */
  readonly values: number;
}

export interface JsonBreach {
  readonly limit: keyof JsonLimits;
  /** Index of the character that broke the limit: where the scan stopped. */
  readonly at: number;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;

/**
 * The first place `raw` goes past a limit, or undefined. It reads structure only: malformed JSON is
 * left to the parser (an unterminated string ends the scan). Strings are skipped with indexOf, so a
 * body of one long base64 string costs little more than finding its closing quote.
 */
export function findJsonBreach(raw: string, limits: JsonLimits = { depth: MAX_JSON_DEPTH, values: MAX_JSON_VALUES }): JsonBreach | undefined {
  let depth = 0;
  let values = 0;
  for (let i = 0; i < raw.length; i++) {
    const c = raw.charCodeAt(i);
    if (c === QUOTE) {
      i = endOfString(raw, i);
      if (i < 0) return undefined;
    } else if (c === OPEN_BRACKET || c === OPEN_BRACE) {
      if (++depth > limits.depth) return { limit: 'depth', at: i };
      if (++values > limits.values) return { limit: 'values', at: i };
    } else if (c === CLOSE_BRACKET || c === CLOSE_BRACE) {
      depth--;
    } else if (c === COMMA && ++values > limits.values) {
      return { limit: 'values', at: i };
    }
  }
  return undefined;
}

/** Index of the quote closing the string opened at `start`, or -1. Each backslash run is read once. */
function endOfString(raw: string, start: number): number {
  for (let end = raw.indexOf('"', start + 1); end >= 0; end = raw.indexOf('"', end + 1)) {
    let backslashes = 0;
    while (raw.charCodeAt(end - 1 - backslashes) === BACKSLASH) backslashes++;
    if (backslashes % 2 === 0) return end;
  }
  return -1;
}

/**
 * Throws unless `raw` keeps within the limits. Too deep is 400 (malformed): no client of this API
 * builds such a document, so it is a broken or hostile one, not a big one. Too many values is 413,
 * like too many bytes: the content is more than the server will process.
 */
export function assertJsonWithinLimits(raw: string): void {
  const breach = findJsonBreach(raw);
  if (breach?.limit === 'depth') {
    throw new MalformedRequestError(`The JSON body nests deeper than ${MAX_JSON_DEPTH} levels; no request of this API nests more than 3.`);
  }
  if (breach?.limit === 'values') {
    throw new PayloadTooLargeError(`The JSON body holds more than ${MAX_JSON_VALUES.toLocaleString('en-US')} values (array items and object members); no request of this API needs more than a few hundred.`);
  }
}
