/**
 * The shape check of sealed uploads, on messages openpgp.js seals exactly as the server and the SDK
 * do (functions/adapters/openpgp/sealer.ts), fed in every chunking, and on forgeries of them.
 */
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import * as openpgp from 'openpgp';
import { describe, expect, it } from 'vitest';
import { OpenPgpSealer } from '../../../functions/adapters/openpgp/sealer.ts';
import { SealedShapeReader, ShapeError, encodeSecret, type SealedShape } from '../../../functions/core/protocol/index.ts';

const sealer = new OpenPgpSealer();
const secret = () => encodeSecret(new Uint8Array(randomBytes(32)));

function shapeOf(bytes: Uint8Array, chunkSizes: readonly number[] = [bytes.length || 1]): SealedShape {
  const reader = new SealedShapeReader();
  let at = 0;
  for (let i = 0; at < bytes.length; i++) {
    const size = Math.max(1, chunkSizes[i % chunkSizes.length] ?? 1);
    reader.push(bytes.subarray(at, at + size));
    at += size;
  }
  return reader.finish();
}

const errorOf = (fn: () => unknown) => {
  try {
    fn();
    return undefined;
  } catch (error) {
    return error;
  }
};

describe('SealedShapeReader', () => {
  it('finds one session key per password, in any chunking, and hands the session-key packets on for a password to open', async () => {
    const passwords = [secret(), secret(), secret()];
    const sealed = await sealer.seal(new Uint8Array(randomBytes(700_000)), passwords);

    const whole = shapeOf(sealed);

    expect(whole).toMatchObject({ sessionKeys: 3, bytes: sealed.length, chunkSizeOctet: 12 });
    expect(shapeOf(sealed, [1, 3, 7, 4096, 65_537]).sessionKeys).toBe(3);
    const fingerprints = await Promise.all(passwords.map((p) => sealer.unlock(whole.sessionKeyPackets, p)));
    expect(new Set(fingerprints).size).toBe(1);
    expect(fingerprints[0]).toMatch(/^[0-9a-f]{64}$/);
    expect(await sealer.unlock(whole.sessionKeyPackets, secret())).toBeUndefined();
  });

  it('accepts every size and every chunking of what openpgp.js seals (property)', async () => {
    await fc.assert(fc.asyncProperty(
      fc.integer({ min: 0, max: 600_000 }), fc.integer({ min: 1, max: 5 }), fc.array(fc.integer({ min: 1, max: 300_000 }), { minLength: 1, maxLength: 6 }),
      async (size, recipients, chunks) => {
        const sealed = await sealer.seal(new Uint8Array(size), Array.from({ length: recipients }, secret));
        expect(shapeOf(sealed, chunks)).toMatchObject({ sessionKeys: recipients, bytes: sealed.length });
      },
    ), { numRuns: 25, seed: 20261206 });
  });

  it.each([
    ['cut short by one byte', (s: Uint8Array) => s.subarray(0, s.length - 1), /cut short/],
    ['cut short inside the session keys', (s: Uint8Array) => s.subarray(0, 40), /cut short/],
    ['followed by a byte', (s: Uint8Array) => Uint8Array.from([...s, 0xc3]), /after the encrypted data/],
    ['empty', () => new Uint8Array(0), /cut short/],
    ['not OpenPGP at all', () => new TextEncoder().encode('%PDF-1.7 a plain file'), /legacy or invalid header|no place/],
    ['armored', (s: Uint8Array) => new TextEncoder().encode(`-----BEGIN PGP MESSAGE-----\n\n${Buffer.from(s).toString('base64')}\n-----END PGP MESSAGE-----`), /legacy or invalid header/],
  ])('refuses a sealed message %s', async (_what, forge, why) => {
    const sealed = await sealer.seal(new Uint8Array(randomBytes(5000)), [secret()]);

    const error = errorOf(() => shapeOf(forge(sealed)));

    expect(error).toBeInstanceOf(ShapeError);
    expect((error as Error).message).toMatch(why);
  });

  it('refuses encrypted data without a session key, a compressed or literal packet, and a legacy cipher', async () => {
    const sealed = await sealer.seal(new Uint8Array(100), [secret()]);
    const firstSkesk = 2 + (sealed[1] as number);
    const legacy = await openpgp.encrypt({ message: await openpgp.createMessage({ binary: new Uint8Array(100) }), passwords: [secret()], format: 'binary', config: { aeadProtect: false } });
    const literal = Uint8Array.from([0xcb, 0x06, 0x62, 0x00, 0x00, 0x00, 0x00, 0x00]);

    expect(errorOf(() => shapeOf(sealed.subarray(firstSkesk)))).toBeInstanceOf(ShapeError);
    expect((errorOf(() => shapeOf(Uint8Array.from([...sealed.subarray(0, firstSkesk), ...literal, ...sealed.subarray(firstSkesk)]))) as Error).message).toMatch(/type 11 has no place/);
    expect((errorOf(() => shapeOf(legacy)) as Error).message).toMatch(/not SKESK v6|no place/);
  });

  it('refuses a session key packet of another kind (its version byte changed)', async () => {
    const sealed = Uint8Array.from(await sealer.seal(new Uint8Array(100), [secret()]));
    sealed[2] = 4;

    expect((errorOf(() => shapeOf(sealed)) as Error).message).toMatch(/not SKESK v6/);
  });
});
