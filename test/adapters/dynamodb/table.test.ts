import { describe, expect, it } from 'vitest';
import { sameItem } from '../../../functions/adapters/dynamodb/table.ts';

describe('sameItem: whether a read found the very item a lost write put', () => {
  const item = {
    pk: { S: 'MSG#1' }, sk: { S: 'HEAD' }, n: { N: '3' }, ok: { BOOL: true }, none: { NULL: true as const },
    data: { B: new Uint8Array([1, 2, 3]) }, list: { L: [{ S: 'a' }, { N: '1' }] }, map: { M: { b: { S: 'x' }, a: { S: 'y' } } },
    set: { SS: ['p', 'q'] },
  };

  it('is the same whatever the order of attributes and of a map\'s keys, and whatever holds the bytes', () => {
    const read = {
      set: { SS: ['p', 'q'] }, map: { M: { a: { S: 'y' }, b: { S: 'x' } } }, list: { L: [{ S: 'a' }, { N: '1' }] },
      data: { B: Buffer.from([1, 2, 3]) }, none: { NULL: true as const }, ok: { BOOL: true }, n: { N: '3' }, sk: { S: 'HEAD' }, pk: { S: 'MSG#1' },
    };
    expect(sameItem(item, read)).toBe(true);
  });

  it('differs on any value, attribute or order within a list', () => {
    expect(sameItem(item, { ...item, n: { N: '4' } })).toBe(false);
    expect(sameItem(item, { ...item, data: { B: new Uint8Array([1, 2, 4]) } })).toBe(false);
    expect(sameItem(item, { ...item, list: { L: [{ N: '1' }, { S: 'a' }] } })).toBe(false);
    expect(sameItem(item, { ...item, extra: { S: '' } })).toBe(false);
    const { ok: _ok, ...without } = item;
    expect(sameItem(item, without)).toBe(false);
    // Bytes and the text of their base64 are not the same value.
    expect(sameItem({ v: { B: new Uint8Array([1, 2, 3]) } }, { v: { B: 'AQID' as unknown as Uint8Array } })).toBe(false);
    expect(sameItem({ v: { S: '1' } }, { v: { N: '1' } })).toBe(false);
  });
});
