import { describe, expect, it } from 'vitest';
import { MAX_JSON_DEPTH, MAX_JSON_VALUES, findJsonBreach } from '../../functions/http/json-limits.ts';

describe('findJsonBreach', () => {
  it('finds nothing in ordinary JSON, strings full of brackets and commas included', () => {
    const bodies = [
      '{}', '[]', '"x"', '12', 'null', ' { "a" : [ 1 , 2 , { "b" : null } ] } ',
      JSON.stringify({ text: '[[[[,,,,{{{{'.repeat(10_000), 'q"uote': 'a\\"[[[', slash: '\\' }),
      `${'['.repeat(MAX_JSON_DEPTH)}${']'.repeat(MAX_JSON_DEPTH)}`,
      JSON.stringify(Array(MAX_JSON_VALUES).fill(0)),
    ];

    for (const body of bodies) expect(findJsonBreach(body), body.slice(0, 40)).toBeUndefined();
  });

  it('stops at the first bracket past the depth limit, without reading the rest', () => {
    const body = `${'['.repeat(100_000)}${' '.repeat(5_000_000)}${']'.repeat(100_000)}`;

    expect(findJsonBreach(body)).toEqual({ limit: 'depth', at: MAX_JSON_DEPTH });
  });

  it('stops at the first value past the count limit, without reading the rest', () => {
    const items = Array.from({ length: 400_000 }, (_, i) => `"k${i}":0`);
    const body = `{${items.join(',')}}`;

    const breach = findJsonBreach(body);

    expect(breach?.limit).toBe('values');
    expect(breach?.at).toBe(`{${items.slice(0, MAX_JSON_VALUES).join(',')}`.length);
  });

  it('counts object members and array items, nested ones included', () => {
    const nested = JSON.stringify(Array.from({ length: MAX_JSON_VALUES / 2 }, () => [0]));

    expect(findJsonBreach(JSON.stringify(Array(MAX_JSON_VALUES + 1).fill(0)))?.limit).toBe('values');
    expect(findJsonBreach(nested)).toBeUndefined();
    expect(findJsonBreach(JSON.stringify([...JSON.parse(nested) as unknown[], 0]))?.limit).toBe('values');
  });

  it('does not mistake an escaped quote, or a quote after escaped backslashes, for the end of a string', () => {
    const deepInString = `["${'\\"['.repeat(100)}"]`;
    const afterBackslashes = `["\\\\", ${'['.repeat(MAX_JSON_DEPTH)}${']'.repeat(MAX_JSON_DEPTH)}]`;

    expect(findJsonBreach(deepInString)).toBeUndefined();
    expect(findJsonBreach(afterBackslashes)?.limit).toBe('depth');
  });

  it('leaves an unterminated string to the JSON parser', () => {
    expect(findJsonBreach('["abc')).toBeUndefined();
  });
});
