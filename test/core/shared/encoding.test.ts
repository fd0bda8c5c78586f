/** The byte helpers core and the pages share (functions/core/shared/encoding.ts, errors.ts). */
import { describe, expect, it } from 'vitest';
import { ValidationError, concatBytes, validationErrorOf } from '../../../functions/core/shared/index.ts';

describe('concatBytes', () => {
  it('puts the parts one after another in a new buffer, views of other buffers included', () => {
    const whole = Uint8Array.of(9, 8, 7, 6);
    const joined = concatBytes([Uint8Array.of(1, 2), new Uint8Array(0), whole.subarray(1, 3), Uint8Array.of(3)]);
    expect([...joined]).toEqual([1, 2, 8, 7, 3]);
    expect(joined.buffer).not.toBe(whole.buffer);
    expect(concatBytes([]).length).toBe(0);
  });
});

describe('validationErrorOf', () => {
  it('names the first issue and how many more there are, unless given its own detail', () => {
    const issues = [{ field: 'to', message: 'is required' }, { field: 'subject', message: 'is required' }, { field: '(body)', message: 'unknown field(s): x' }];
    const counted = validationErrorOf(issues);
    expect(counted).toBeInstanceOf(ValidationError);
    expect(counted.message).toBe('to: is required (and 2 more)');
    expect(counted.issues).toEqual(issues);
    expect(validationErrorOf(issues.slice(0, 1)).message).toBe('to: is required');
    expect(validationErrorOf(issues, 'Send a token.').message).toBe('Send a token.');
  });
});
