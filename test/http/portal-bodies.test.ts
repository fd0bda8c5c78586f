/**
 * The portal's bodies (functions/http/portal-bodies.ts) are checked without zod; the OpenAPI
 * document describes them with the zod schema built from the same rules (zod-schema-of.ts). Both
 * must say the same thing about every body: accepted or not, with the same value, or refused with
 * the same issues — field by field, message by message, in order — as zod, through toIssues, said
 * before. Generated bodies: near misses of each rule (wrong types, lengths at and past each limit,
 * almost-matching patterns, unsafe and fractional numbers, -0), unknown and prototype-named keys,
 * and arbitrary JSON.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../functions/core/shared/index.ts';
import { CODE_BODY, OPEN_BODY, SIGN_IN_BODY, VERIFY_BODY, checkBody, parseBody, type BodyRules } from '../../functions/http/portal-bodies.ts';
import { toIssues } from '../../functions/http/zod-parse.ts';
import { zodSchemaOf } from '../../functions/http/zod-schema-of.ts';

const BODIES = { OPEN_BODY, CODE_BODY, SIGN_IN_BODY, VERIFY_BODY } as const;

const text = fc.oneof(
  fc.string({ maxLength: 8 }),
  fc.constantFrom('', '123456', '12345', '1234567', '12345a', '١٢٣٤٥٦', 'a@example.com', 'a@b', 'not an email', ' a@example.com'),
  fc.integer({ min: 0, max: 3 }).chain((d) => fc.constantFrom(127, 128, 129, 253, 254, 255, 43, 42, 44).map((n) => 'x'.repeat(n - d) + (d ? 'é'.repeat(d) : ''))),
  fc.constantFrom(43, 42, 44).map((n) => 'A_-9'.repeat(11).slice(0, n)),
  fc.constantFrom(200, 250, 260).map((n) => `${'a'.repeat(n)}@example.com`),
  // Limits count code points, as zod does: an emoji is one character, a lone surrogate one.
  fc.constantFrom(127, 128, 129, 254, 255).map((n) => '🙂'.repeat(n)),
  fc.constantFrom(127, 128).map((n) => `${'🙂'.repeat(n)}\ud800`),
);
const number = fc.oneof(
  fc.integer({ min: -3, max: 1003 }),
  fc.constantFrom(-0, 0.5, 1.5, -1.5, 1e21, -1e21, 2 ** 53, -(2 ** 53), 2 ** 53 - 1, 1e300, -1e300, Number.MAX_VALUE),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
);
const value = fc.oneof(text, number, fc.constantFrom(null, true, false), fc.constant([]), fc.constant({}), fc.array(text, { maxLength: 2 }));

function bodyOf(rules: BodyRules): fc.Arbitrary<unknown> {
  const fields = Object.keys(rules);
  const known = fc.dictionary(fc.constantFrom(...fields), value, { maxKeys: fields.length });
  const extra = fc.dictionary(fc.constantFrom('zz', 'aa', 'constructor', 'toString', 'hasOwnProperty', 'TOKEN', 'part ', ...fields.map((f) => `${f}s`)), value, { maxKeys: 2 });
  // JSON.parse makes "__proto__" an own key, as a request body's would be.
  const proto = fc.constantFrom('{}', '{"__proto__":{"token":"t"}}', '{"__proto__":1}').map((json) => JSON.parse(json) as Record<string, unknown>);
  return fc.oneof(
    { arbitrary: fc.tuple(known, extra, proto, fc.boolean()).map(([k, e, p, withExtra]) => Object.assign(p, k, withExtra ? e : {})), weight: 6 },
    { arbitrary: fc.jsonValue(), weight: 1 },
  );
}

function zodVerdict(rules: BodyRules, body: unknown) {
  const parsed = zodSchemaOf(rules).safeParse(body);
  return parsed.success ? { ok: true, value: parsed.data } : { ok: false, issues: toIssues(parsed.error) };
}

describe('the portal bodies, checked without zod', () => {
  for (const [name, rules] of Object.entries(BODIES)) {
    it(`${name}: the same verdict, value and issues as zod on generated bodies`, () => {
      fc.assert(fc.property(bodyOf(rules), (body) => {
        expect(checkBody(rules, body)).toEqual(zodVerdict(rules, body));
      }), { numRuns: 1500 });
    });
  }

  it('accepts a well-formed open and leaves absent optional fields out', () => {
    expect(checkBody(OPEN_BODY, { token: 't', part: 2 })).toEqual({ ok: true, value: { token: 't', part: 2 } });
    expect(checkBody(OPEN_BODY, { token: 't', part: -0 })).toEqual({ ok: true, value: { token: 't', part: 0 } });
  });

  it('names every wrong field, the unknown ones last, as zod did', () => {
    expect(checkBody(OPEN_BODY, { zz: 1, token: 5, part: 1.5, code: '12345' })).toEqual({ ok: false, issues: [
      { field: 'token', message: 'is required' },
      { field: 'code', message: 'must be the 6 digits from the email' },
      { field: 'part', message: 'is required' },
      { field: '(body)', message: 'unknown field(s): zz' },
    ] });
    expect(checkBody(VERIFY_BODY, { email: `${'a'.repeat(300)}`, code: '123456' })).toEqual({ ok: false, issues: [
      { field: 'email', message: 'must be at most 254 characters' },
      { field: 'email', message: 'must be an email address' },
    ] });
    expect(checkBody(SIGN_IN_BODY, [])).toEqual({ ok: false, issues: [{ field: '(body)', message: 'is required' }] });
  });

  it('throws a ValidationError with the given detail, or the first issue and how many more', () => {
    const withDetail = (() => { try { parseBody(CODE_BODY, {}, 'Send a token.'); } catch (e) { return e; } })();
    expect(withDetail).toBeInstanceOf(ValidationError);
    expect((withDetail as ValidationError).message).toBe('Send a token.');
    const counted = (() => { try { parseBody(VERIFY_BODY, { email: 1 }); } catch (e) { return e; } })() as ValidationError;
    expect(counted.message).toBe('email: is required (and 1 more)');
    expect(counted.issues).toEqual([{ field: 'email', message: 'is required' }, { field: 'code', message: 'is required' }]);
  });
});
