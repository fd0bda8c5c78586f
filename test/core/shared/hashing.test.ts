import fc from 'fast-check';
import * as nodeCrypto from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { hashing, hashingOf, nodeCryptoHashing, webCryptoHashing } from '../../../functions/core/shared/index.ts';

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
const fromHex = (text: string) => new Uint8Array(Buffer.from(text, 'hex'));
const node = nodeCryptoHashing(nodeCrypto);

describe('hashing: node:crypto on Node, WebCrypto in a browser, the same bytes', () => {
  it('hashes with node:crypto here, and with WebCrypto where the runtime offers no node:crypto', async () => {
    expect(hashing).not.toBe(webCryptoHashing);
    expect(hex(await hashing.sha256(new TextEncoder().encode('abc')))).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    // A browser: no process; a page element named "process" (a global of that name) has no such method.
    expect(hashingOf({})).toBe(webCryptoHashing);
    expect(hashingOf({ process: { getBuiltinModule: { name: 'not a function' } } })).toBe(webCryptoHashing);
    expect(hashingOf({ process: { getBuiltinModule: () => undefined } })).toBe(webCryptoHashing);
    expect(hashingOf({ process: { getBuiltinModule: () => ({ createHash: nodeCrypto.createHash }) } })).toBe(webCryptoHashing);
    expect(hashingOf(globalThis)).not.toBe(webCryptoHashing);
  });

  it('agree with RFC 5869 test case 1 (HKDF-SHA-256), both ways', async () => {
    const ikm = new Uint8Array(22).fill(0x0b);
    const salt = fromHex('000102030405060708090a0b0c');
    const info = fromHex('f0f1f2f3f4f5f6f7f8f9');
    const okm = '3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865';
    for (const way of [node, webCryptoHashing]) expect(hex(await way.hkdfSha256(ikm, salt, info, 42))).toBe(okm);
  });

  it('give the same SHA-256 and HKDF both ways on generated inputs, as plain Uint8Arrays', async () => {
    await fc.assert(fc.asyncProperty(fc.uint8Array({ maxLength: 300 }), async (bytes) => {
      const [a, b] = await Promise.all([node.sha256(bytes), webCryptoHashing.sha256(bytes)]);
      expect(a).toStrictEqual(b);
    }), { numRuns: 200 });
    await fc.assert(fc.asyncProperty(
      fc.uint8Array({ minLength: 1, maxLength: 64 }), fc.uint8Array({ maxLength: 64 }), fc.uint8Array({ maxLength: 64 }), fc.integer({ min: 1, max: 96 }),
      async (ikm, salt, info, bytes) => {
        const [a, b] = await Promise.all([node.hkdfSha256(ikm, salt, info, bytes), webCryptoHashing.hkdfSha256(ikm, salt, info, bytes)]);
        expect(a).toStrictEqual(b);
        expect(a.length).toBe(bytes);
      },
    ), { numRuns: 200 });
  });
});
