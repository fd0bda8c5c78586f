/**
 * The sender API's chunk cipher (adapters/node-crypto/gcm.ts): given the same random bytes, the
 * sealer writes byte for byte the message it writes with WebCrypto, at every chunk boundary; and
 * OpenPGP.js, the independent oracle, opens it.
 */
import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { nodeGcmChunkSealer, nodeSyncCrypto } from '../../../functions/adapters/node-crypto/gcm.ts';
import { SubsetSealer, decrypt, encodeSecret } from '../../../functions/core/protocol/index.ts';
import { OpenPgpSealer } from '../../helpers/openpgp-sealer.ts';

/** A deterministic "random" source: the same seed gives the same bytes, so two sealers can be compared. */
function seeded(seed: string) {
  let counter = 0;
  return (n: number): Uint8Array => {
    const out = new Uint8Array(n);
    for (let at = 0; at < n; at += 32) out.set(createHash('sha256').update(`${seed}:${counter++}`).digest().subarray(0, Math.min(32, n - at)), at);
    return out;
  };
}

const CHUNK = 256 * 1024;
const LITERAL_HEADER = 8; // tag, five-octet length, format, name length, four-octet date: the first chunk holds it

describe('nodeGcmChunkSealer', () => {
  it.each([0, 1, CHUNK - LITERAL_HEADER - 1, CHUNK - LITERAL_HEADER, CHUNK - LITERAL_HEADER + 1, 3 * CHUNK + 17])('seals %i bytes exactly as WebCrypto does, and both decryptors open it', async (size) => {
    const plaintext = new Uint8Array(size).map((_, i) => (i * 7 + 3) & 0xff);
    const passwords = [encodeSecret(seeded('p1')(32)), encodeSecret(seeded('p2')(32))];
    const withNode = await new SubsetSealer(seeded('s'), nodeSyncCrypto).seal(plaintext, passwords);
    const withWebCrypto = await new SubsetSealer(seeded('s')).seal(plaintext, passwords);
    expect(Buffer.from(withNode).equals(Buffer.from(withWebCrypto))).toBe(true);
    for (const password of passwords) {
      expect(Buffer.from(await decrypt(withNode, password)).equals(Buffer.from(plaintext))).toBe(true);
      expect(Buffer.from(await new OpenPgpSealer().open(withNode, password)).equals(Buffer.from(plaintext))).toBe(true);
    }
  });

  it('seals without a single WebCrypto call (every one a trip to another thread)', async () => {
    const subtle = globalThis.crypto.subtle;
    const methods = ['encrypt', 'decrypt', 'digest', 'importKey', 'deriveBits', 'deriveKey'] as const;
    const saved = methods.map((m) => subtle[m]);
    const calls: string[] = [];
    methods.forEach((m) => { (subtle as unknown as Record<string, unknown>)[m] = () => { calls.push(m); throw new Error(`WebCrypto ${m} called`); }; });
    let sealed: Uint8Array;
    try {
      sealed = await new SubsetSealer(seeded('w'), nodeSyncCrypto).seal(new Uint8Array(CHUNK + 5), [encodeSecret(seeded('k')(32))]);
    } finally {
      methods.forEach((m, i) => { (subtle as unknown as Record<string, unknown>)[m] = saved[i]; });
    }
    expect(calls).toEqual([]);
    expect((await decrypt(sealed, encodeSecret(seeded('k')(32)))).length).toBe(CHUNK + 5);
  });

  it('reports its progress up to the whole plaintext', async () => {
    const seen: number[] = [];
    await new SubsetSealer(seeded('q'), nodeSyncCrypto).sealWithProgress(new Uint8Array(2 * CHUNK), [encodeSecret(seeded('k')(32))], (n) => seen.push(n));
    expect(seen.at(-1)).toBe(2 * CHUNK);
    expect(seen).toEqual([...seen].sort((a, b) => a - b));
  });

  it('refuses an output of the wrong size', () => {
    expect(() => nodeGcmChunkSealer(new Uint8Array(32), new Uint8Array(12), new Uint8Array(4), new Uint8Array(5), new Uint8Array(4))).toThrow(RangeError);
  });
});
