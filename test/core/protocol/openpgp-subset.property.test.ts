/**
 * The WebCrypto decryptor against openpgp.js, on generated messages (fast-check, fixed seed):
 * sizes from 0 bytes to a few chunks with the chunk boundaries crossed on both sides, 1–100
 * recipients, keys with and without a passcode mixed in (and the Message Center custody key), read
 * in one piece or in arbitrary pieces — the same plaintext as openpgp.js, every time. And every
 * mutation refused: each bit flipped, the message cut anywhere, bytes added, whole chunks dropped,
 * repeated or swapped. With several recipients, a flip in another recipient's SKESK cannot be
 * noticed by this one (it is not authenticated for them): it must then open to the very same
 * plaintext, never to another.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createDecryptor, decrypt, DecryptError, deriveMessageKey, encodeSecret } from '../../../functions/core/protocol/index.ts';
import { assemble, CHUNK_BYTES, layoutOf, sameBytes, sealer } from '../../helpers/sealed-layout.ts';

const SEED = 20_261_206;

/** 0, tiny, any size under 5 KB, and within 24 bytes of 1–3 chunk boundaries (the literal packet's framing shifts them by a few bytes). */
const sizes = fc.oneof(
  fc.constantFrom(0, 1, 15, 16, 17),
  fc.integer({ min: 0, max: 5000 }),
  fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: -24, max: 24 })).map(([k, d]) => k * CHUNK_BYTES + d),
);

/** 1–100 recipients (sealing for 100 takes a while: most runs have a few, some the most a message may have). */
const recipientCounts = fc.oneof({ arbitrary: fc.integer({ min: 1, max: 4 }), weight: 3 }, fc.integer({ min: 1, max: 100 }), fc.constant(100));

const randomBytes = (n: number) => {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i += 65536) crypto.getRandomValues(out.subarray(i, i + 65536));
  return out;
};
const secret = () => encodeSecret(randomBytes(32));

/** Splits `bytes` at the given cut points (sorted, deduplicated, within the length). */
function pieces(bytes: Uint8Array, cuts: readonly number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  return [0, ...points].map((start, i) => bytes.subarray(start, points[i] ?? bytes.length));
}

async function streamed(ciphertext: Uint8Array, password: string, cuts: readonly number[]): Promise<Uint8Array> {
  const decryptor = createDecryptor(password);
  const out: Uint8Array[] = [];
  for (const piece of pieces(ciphertext, cuts)) out.push(await decryptor.push(piece));
  out.push(await decryptor.finish());
  return new Uint8Array(Buffer.concat(out));
}

const isRefused = (work: Promise<unknown>) => work.then(() => false, (error: unknown) => error instanceof DecryptError);

describe('decrypt agrees with openpgp.js on generated messages', () => {
  it('opens every generated message to openpgp.js\'s plaintext, whole or in pieces, and refuses a wrong key', async () => {
    await fc.assert(fc.asyncProperty(
      sizes, recipientCounts, fc.option(fc.string({ minLength: 1, maxLength: 20 }), { nil: undefined }), fc.boolean(),
      fc.nat(), fc.array(fc.nat(), { maxLength: 6 }),
      async (size, recipients, passcode, custody, pick, cuts) => {
        const plaintext = randomBytes(size);
        const keys = await Promise.all(Array.from({ length: recipients }, () => deriveMessageKey(secret(), passcode)));
        // A Message Center message has one more password: the custody key itself (protocol.md §19.1).
        if (custody) keys.push(secret());
        const ciphertext = await sealer.seal(plaintext, keys);
        const key = keys[pick % keys.length] as string;

        const theirs = await sealer.open(ciphertext, key);
        expect(sameBytes(theirs, plaintext), 'openpgp.js').toBe(true);
        expect(sameBytes(await decrypt(ciphertext, key), theirs), 'whole').toBe(true);
        expect(sameBytes(await streamed(ciphertext, key, cuts), theirs), 'in pieces').toBe(true);
        const wrong = await deriveMessageKey(secret(), passcode);
        await expect(decrypt(ciphertext, wrong)).rejects.toMatchObject({ reason: 'wrong-password' });
        await expect(sealer.open(ciphertext, wrong)).rejects.toThrow();
      },
    ), { seed: SEED, numRuns: 30 });
  }, 300_000);
});

describe('decrypt refuses every mutated message', () => {
  it('refuses each single bit flipped anywhere in a one-recipient message', async () => {
    const key = secret();
    const ciphertext = await sealer.seal(new TextEncoder().encode('Subject: x\r\n\r\nshort message\r\n'), [key]);

    const accepted: string[] = [];
    for (let at = 0; at < ciphertext.length; at++) {
      for (let bit = 0; bit < 8; bit++) {
        const flipped = ciphertext.slice();
        flipped[at] = (flipped[at] as number) ^ (1 << bit);
        if (!(await isRefused(decrypt(flipped, key)))) accepted.push(`byte ${at} bit ${bit}`);
      }
    }

    expect(accepted).toEqual([]);
  });

  it('refuses generated mutations of multi-chunk messages: flips, cuts, additions, chunks dropped, repeated or swapped', async () => {
    const mutation = fc.oneof(
      fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
      fc.record({ kind: fc.constant('cut' as const), at: fc.nat() }),
      fc.record({ kind: fc.constant('add' as const), extra: fc.uint8Array({ minLength: 1, maxLength: 40 }) }),
      fc.record({ kind: fc.constantFrom('drop' as const, 'repeat' as const, 'swap' as const), i: fc.nat(), j: fc.nat() }),
    );
    await fc.assert(fc.asyncProperty(sizes, mutation, fc.array(fc.nat(), { maxLength: 4 }), async (size, m, cuts) => {
      const key = secret();
      const ciphertext = await sealer.seal(randomBytes(size), [key]);
      const layout = layoutOf(ciphertext);
      const chunks = [...layout.chunks];
      const i = m.kind === 'flip' || m.kind === 'cut' || m.kind === 'add' ? 0 : m.i % chunks.length;
      const j = m.kind === 'swap' ? (i + 1 + (m.j % Math.max(1, chunks.length - 1))) % chunks.length : i;
      let mutated: Uint8Array;
      if (m.kind === 'flip') {
        mutated = ciphertext.slice();
        const at = m.at % mutated.length;
        mutated[at] = (mutated[at] as number) ^ (1 << m.bit);
      } else if (m.kind === 'cut') {
        mutated = ciphertext.subarray(0, m.at % ciphertext.length);
      } else if (m.kind === 'add') {
        mutated = new Uint8Array([...ciphertext, ...m.extra]);
      } else {
        if (m.kind === 'drop') chunks.splice(i, 1);
        if (m.kind === 'repeat') chunks.splice(i, 0, chunks[i] as Uint8Array);
        // Swapping a chunk with itself, or two chunks of one size and content, changes nothing: skip it.
        if (m.kind === 'swap') {
          if (i === j || Buffer.from(chunks[i] as Uint8Array).equals(Buffer.from(chunks[j] as Uint8Array))) return;
          [chunks[i], chunks[j]] = [chunks[j] as Uint8Array, chunks[i] as Uint8Array];
        }
        mutated = assemble(ciphertext, layout, [layout.header, ...chunks, layout.finalTag]);
      }

      expect(await isRefused(decrypt(mutated, key)), `${m.kind} of a ${size}-byte message`).toBe(true);
      expect(await isRefused(streamed(mutated, key, cuts)), `${m.kind}, streamed`).toBe(true);
    }), { seed: SEED, numRuns: 150 });
  }, 120_000);

  it('with several recipients, opens a message flipped in another recipient\'s SKESK to the same plaintext, and refuses every other flip', async () => {
    const keys = [secret(), secret(), secret()];
    const plaintext = new TextEncoder().encode('three recipients');
    const ciphertext = await sealer.seal(plaintext, keys);
    const [first, mine, third] = layoutOf(ciphertext).skesks as [readonly [number, number], readonly [number, number], readonly [number, number]];
    const others = [first, third];

    for (let at = 0; at < ciphertext.length; at++) {
      const flipped = ciphertext.slice();
      flipped[at] = (flipped[at] as number) ^ 0x10;
      const opened = await decrypt(flipped, keys[1] as string).catch((error: unknown) => (error instanceof DecryptError ? undefined : error));
      if (opened === undefined) continue;
      expect(opened, `byte ${at}`).toEqual(plaintext);
      expect(others.some(([start, end]) => at >= start && at < end) && !(at >= mine[0] && at < mine[1]), `byte ${at} opened`).toBe(true);
    }
  });
});
