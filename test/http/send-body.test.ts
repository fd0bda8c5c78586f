/**
 * A send's body is checked without zod (functions/http/send-body.ts); the OpenAPI document
 * describes it with the zod schema (sendRequestSchema). Both must say the same thing about every
 * body: accepted, with the same value (cc and attachments defaulted), or refused with the same
 * issues — field by field, message by message, in order — as zod, through toIssues, said before.
 * Generated bodies: near misses of every rule (wrong types, lengths at and past each limit, arrays
 * at and past their maximum, recipients as strings, objects and neither, labels and passcodes of
 * blank and invisible characters, astral characters at each limit, unsafe and fractional numbers,
 * values of the wrong type that have a length), unknown and prototype-named keys, bodies with neither
 * text nor html, and arbitrary JSON.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PayloadTooLargeError, ValidationError } from '../../functions/core/shared/index.ts';
import { MAX_CONTENT_BYTES, checkSendRequest, parseSendRequest } from '../../functions/http/send-body.ts';
import { sendRequestSchema } from '../../functions/http/schemas.ts';
import { toIssues } from '../../functions/http/zod-parse.ts';

const sized = (lengths: readonly number[], unit = 'x') => fc.constantFrom(...lengths).map((n) => unit.repeat(n));
const text = fc.oneof(
  fc.string({ maxLength: 6 }),
  fc.constantFrom('', ' ', '\u3000', 'a\nb', 'tab\t', '\u200b', '\u200bx', 'x\u2800', '\u2800', '🙂', '\ud800', 'a/b', 'a\\b', 'ok.pdf'),
  fc.constantFrom('a@example.com', 'a@b', 'not an email', ' a@example.com', 'A.B+c@sub.example.org'),
  fc.constantFrom('text/plain', 'application/pdf', 'TEXT/HTML', 'nope', 'a/', '/b', 'x/y z'),
  fc.constantFrom('', 'AAAA', 'AAA=', 'AA==', 'A===', 'AAA', 'AA-_', 'QUJD'),
  sized([99, 100, 101, 199, 200, 201, 249, 250, 251, 254, 255, 256]),
  sized([250, 255]).map((s) => `${s}@example.com`),
  // Limits count code points, as zod and JSON Schema do: an emoji is one character, a lone surrogate one.
  sized([99, 100, 101, 200, 201, 250, 251, 254, 255], '🙂'),
  sized([100, 250], '🙂').map((s) => `${s}\ud800`),
);
const number = fc.oneof(
  fc.integer({ min: -2, max: 1002 }),
  fc.constantFrom(-0, 0.5, 1.5, 30.5, 1e21, -1e21, 2 ** 53, -(2 ** 53), 2 ** 53 - 1, 1e300, -1e300),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
);
// Values of the wrong type that have a length, which zod measures too after naming the type.
const lengthy = fc.oneof(
  fc.constantFrom(0, 1, 20, 21, 50, 51, 101, 251, 256).map((n) => Array.from({ length: n }, () => 'a@example.com')),
  fc.constantFrom(0, 21, 51, 300, 'x', null, true).map((length) => ({ length })),
);
const scalar = fc.oneof(text, number, fc.constantFrom(null, true, false), lengthy);
const recipient = fc.oneof(
  { arbitrary: text, weight: 4 },
  {
    arbitrary: fc.record({ email: fc.oneof(text, scalar), name: fc.oneof(text, scalar), zz: scalar }, { requiredKeys: [] }),
    weight: 3,
  },
  { arbitrary: fc.oneof(scalar, fc.constant([]), fc.constant({})), weight: 1 },
);
const attachment = fc.oneof(
  { arbitrary: fc.record({ filename: fc.oneof(text, scalar), contentType: fc.oneof(text, scalar), content: fc.oneof(text, scalar), q: scalar }, { requiredKeys: [] }), weight: 4 },
  { arbitrary: fc.record({ filename: text, contentType: text, content: text }), weight: 2 },
  { arbitrary: scalar, weight: 1 },
);
/** An array near its limit: short ones of anything, or exactly at and one past `most`. */
const listOf = (item: fc.Arbitrary<unknown>, most: number) => fc.oneof(
  { arbitrary: fc.array(item, { maxLength: 3 }), weight: 6 },
  { arbitrary: fc.constantFrom(most, most + 1).chain((n) => fc.array(item, { minLength: n, maxLength: n })), weight: 1 },
  { arbitrary: scalar, weight: 1 },
);
const fields = {
  to: listOf(recipient, 50),
  cc: listOf(recipient, 50),
  subject: fc.oneof(text, scalar),
  text: fc.oneof(text, scalar),
  html: fc.oneof(text, scalar),
  attachments: listOf(attachment, 20),
  expiresInDays: fc.oneof(number, scalar),
  maxViews: fc.oneof(number, scalar),
  replyTo: fc.oneof(text, scalar),
  verification: fc.oneof(fc.constantFrom('none', 'email-code', 'None', ''), scalar),
  passcode: fc.oneof(text, scalar),
  label: fc.oneof(text, scalar),
};
const valid = { to: ['a@example.com'], subject: 'Hello', text: 'Hi' };
const body: fc.Arbitrary<unknown> = fc.oneof(
  {
    arbitrary: fc.tuple(
      fc.record(fields, { requiredKeys: [] }),
      fc.dictionary(fc.constantFrom('zz', 'aa', 'constructor', 'toString', 'Subject', 'to '), scalar, { maxKeys: 2 }),
      fc.constantFrom('{}', '{"__proto__":{"text":"t"}}', '{"__proto__":1}').map((json) => JSON.parse(json) as Record<string, unknown>),
      fc.boolean(), fc.boolean(),
    ).map(([chosen, extra, proto, withExtra, fromValid]) => Object.assign(proto, fromValid ? valid : {}, chosen, withExtra ? extra : {})),
    weight: 10,
  },
  { arbitrary: fc.jsonValue(), weight: 1 },
);

function zodVerdict(input: unknown) {
  const parsed = sendRequestSchema.safeParse(input);
  return parsed.success ? { ok: true, value: parsed.data } : { ok: false, issues: toIssues(parsed.error) };
}

describe('the send body, checked without zod', () => {
  it('gives the same verdict, value and issues as the zod schema on generated bodies', () => {
    fc.assert(fc.property(body, (input) => {
      expect(checkSendRequest(input)).toStrictEqual(zodVerdict(input));
    }), { numRuns: 3000 });
  });

  it('accepts both kinds of recipient and defaults cc and attachments', () => {
    const checked = checkSendRequest({ to: ['a@example.com', { email: 'b@example.com', name: 'B' }], subject: 'S', html: '<p>x</p>' });
    expect(checked).toEqual({ ok: true, value: { to: ['a@example.com', { email: 'b@example.com', name: 'B' }], cc: [], attachments: [], subject: 'S', html: '<p>x</p>' } });
  });

  it('names every wrong field in order, unknown fields after the known ones, and text-or-html only when every field has its type', () => {
    expect(checkSendRequest({ zz: 1, to: [], subject: 'x'.repeat(251), maxViews: 1e300 })).toEqual({ ok: false, issues: [
      { field: 'to', message: 'needs at least one recipient' },
      { field: 'subject', message: 'is longer than 250 characters' },
      { field: 'maxViews', message: 'must be a whole number' },
      { field: 'maxViews', message: 'must be at most 1000' },
      { field: '(body)', message: 'unknown field(s): zz' },
      { field: 'text', message: 'give "text", "html" or both' },
    ] });
    expect(checkSendRequest({ to: [5, { email: 'bad', zz: 1 }], subject: 5 })).toEqual({ ok: false, issues: [
      { field: 'to/0', message: 'must be an email address or {"email": "...", "name": "..."}' },
      { field: 'to/1/email', message: 'is not a valid email address' },
      { field: 'to/1', message: 'unknown field(s): zz' },
      { field: 'subject', message: 'is required' },
    ] });
    // An array past its maximum is named alone: its elements are not read, and what was not read
    // is not well typed, so text-or-html is not asked either.
    expect(checkSendRequest({ to: Array.from({ length: 51 }, () => 5), subject: 's', text: 't' })).toEqual({ ok: false, issues: [
      { field: 'to', message: 'allows at most 50 recipients' },
    ] });
    const tooMany = { to: Array.from({ length: 51 }, (_, i) => `r${i}@example.com`), subject: 'S' };
    expect(checkSendRequest(tooMany)).toEqual({ ok: false, issues: [{ field: 'to', message: 'allows at most 50 recipients' }] });
    expect(checkSendRequest(tooMany)).toEqual(zodVerdict(tooMany));
  });

  it('decodes what it accepts, and refuses content over the limit with 413', () => {
    const message = parseSendRequest({ to: [{ email: 'a@example.com', name: '' }], subject: 'S', text: 'T', label: '  Lab  ', attachments: [{ filename: 'a.txt', contentType: 'Text/Plain', content: 'QUJD' }] });
    expect(message).toEqual({
      to: [{ email: 'a@example.com' }], cc: [], subject: 'S', text: 'T', label: 'Lab',
      attachments: [{ filename: 'a.txt', contentType: 'text/plain', content: new TextEncoder().encode('ABC') }],
    });
    expect(() => parseSendRequest({ to: ['a@example.com'], subject: 'S' })).toThrow(ValidationError);
    const big = Buffer.alloc(MAX_CONTENT_BYTES + 1).toString('base64');
    expect(() => parseSendRequest({ to: ['a@example.com'], subject: 'S', text: 'T', attachments: [{ filename: 'a', contentType: 'a/b', content: big }] })).toThrow(PayloadTooLargeError);
  });
});
