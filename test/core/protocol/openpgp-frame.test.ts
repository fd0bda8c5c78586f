/**
 * The shape check of sealed uploads, on messages sealed as the server and the SDK do (the protocol's
 * sealer, core/protocol/openpgp-seal.ts) and as openpgp.js seals them with sealpost's configuration
 * (another client's, test/helpers/openpgp-sealer.ts), fed in every chunking, and on forgeries of them.
 */
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import * as openpgp from 'openpgp';
import { describe, expect, it } from 'vitest';
import { OpenPgpSealer } from '../../helpers/openpgp-sealer.ts';
import { SealedShapeReader, ShapeError, SubsetSealer, encodeSecret, type SealedShape } from '../../../functions/core/protocol/index.ts';

const sealer = new SubsetSealer((n) => new Uint8Array(randomBytes(n)));
const oracle = new OpenPgpSealer();
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

  it.each([['sealpost\'s sealer', sealer], ['openpgp.js', oracle]] as const)('accepts every size and every chunking of what %s seals (property)', async (_who, by) => {
    await fc.assert(fc.asyncProperty(
      fc.integer({ min: 0, max: 600_000 }), fc.integer({ min: 1, max: 5 }), fc.array(fc.integer({ min: 1, max: 300_000 }), { minLength: 1, maxLength: 6 }),
      async (size, recipients, chunks) => {
        const sealed = await by.seal(new Uint8Array(size), Array.from({ length: recipients }, secret));
        expect(shapeOf(sealed, chunks)).toMatchObject({ sessionKeys: recipients, bytes: sealed.length, chunkSizeOctet: 12 });
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

  it('refuses chunks under 64 KiB (chunk size octet under 10), which would cost a decryption call per few bytes in a recipient\'s browser', async () => {
    const seal = async (aeadChunkSizeByte: number) => await openpgp.encrypt({
      message: await openpgp.createMessage({ binary: new Uint8Array(100) }), passwords: [secret()], format: 'binary',
      config: { aeadProtect: true, preferredSymmetricAlgorithm: openpgp.enums.symmetric.aes256, s2kIterationCountByte: 0, aeadChunkSizeByte },
    }) as Uint8Array;

    const tiny = await seal(0);

    expect((errorOf(() => shapeOf(tiny)) as Error).message).toMatch(/chunks of 64 bytes; sealpost reads chunks of 64 KiB or more/);
    expect(shapeOf(await seal(10)).chunkSizeOctet).toBe(10);
  });

  it('refuses a session key packet of another kind (its version byte changed)', async () => {
    const sealed = Uint8Array.from(await sealer.seal(new Uint8Array(100), [secret()]));
    sealed[2] = 4;

    expect((errorOf(() => shapeOf(sealed)) as Error).message).toMatch(/not SKESK v6/);
  });
});

/** A message sealed exactly as sealpost seals it, with its first SKESK's body offset (a SKESK of 76 bytes has a 2-byte header). */
async function sealedForOne(): Promise<Uint8Array> {
  const sealed = Uint8Array.from(await sealer.seal(new Uint8Array(100), [secret()]));
  expect([sealed[0], sealed[1]]).toEqual([0xc3, 76]);
  return sealed;
}

/** The same message with its first SKESK's body changed by `edit` (the packet's length header follows the body's). */
function withFirstSkesk(sealed: Uint8Array, edit: (body: Uint8Array) => Uint8Array): Uint8Array {
  const body = edit(Uint8Array.from(sealed.subarray(2, 2 + 76)));
  return Uint8Array.from([0xc3, body.length, ...body, ...sealed.subarray(2 + 76)]);
}

const patched = (at: number, value: number) => (body: Uint8Array) => {
  body[at] = value;
  return body;
};

describe('SealedShapeReader and the session key packets an uploader chooses', () => {
  it('accepts a SKESK exactly as sealpost writes it: 76 bytes, iterated and salted SHA-256 S2K, count byte 0', async () => {
    const sealed = await sealedForOne();

    const shape = shapeOf(sealed);

    expect(shape.sessionKeys).toBe(1);
    expect(Array.from(sealed.subarray(2, 9))).toEqual([6, 26, 9, 3, 11, 3, 8]);
    expect(sealed[2 + 15]).toBe(0);
  });

  it('refuses an Argon2 S2K, which would make the server spend memory and time on every unlock', async () => {
    const argon2 = await openpgp.encrypt({
      message: await openpgp.createMessage({ binary: new Uint8Array(100) }), passwords: [secret()], format: 'binary',
      config: { aeadProtect: true, s2kType: openpgp.enums.s2k.argon2, s2kArgon2Params: { passes: 1, parallelism: 1, memoryExponent: 10 } },
    }) as Uint8Array;

    const error = errorOf(() => shapeOf(argon2));

    expect(error).toBeInstanceOf(ShapeError);
    expect((error as Error).message).toMatch(/string-to-key \(type 4, 20 octets\) is not the one sealpost writes/);
  });

  it('refuses an iterated S2K with a higher count, as openpgp.js writes by default', async () => {
    const costly = await openpgp.encrypt({
      message: await openpgp.createMessage({ binary: new Uint8Array(100) }), passwords: [secret()], format: 'binary',
      config: { aeadProtect: true, s2kIterationCountByte: 224 },
    }) as Uint8Array;

    expect((errorOf(() => shapeOf(costly)) as Error).message).toMatch(/string-to-key \(type 3, 11 octets\) is not the one sealpost writes/);
  });

  it.each([
    ['count byte 1', patched(15, 1), /string-to-key .* count byte 0/],
    ['count byte 255 (the largest count)', patched(15, 255), /string-to-key .* count byte 0/],
    ['hash SHA-512', patched(6, 10), /string-to-key/],
    ['S2K type 1 (salted)', patched(5, 1), /string-to-key \(type 1/],
    ['S2K type 0 (simple)', patched(5, 0), /string-to-key \(type 0/],
    ['an S2K length octet of 20', patched(4, 20), /string-to-key \(type 3, 20 octets\)/],
    ['another count of the fields', patched(1, 27), /counts 27 octets of fields, not the 26 of sealpost's/],
    ['a byte more at its end', (b: Uint8Array) => Uint8Array.from([...b, 0]), /is 77 bytes, not the 76 of sealpost's/],
    ['a byte less at its end', (b: Uint8Array) => b.subarray(0, 75), /is 75 bytes, not the 76 of sealpost's/],
    ['cipher AES-128', patched(2, 7), /not SKESK v6 with AES-256 and GCM/],
    ['AEAD mode OCB', patched(3, 2), /not SKESK v6 with AES-256 and GCM/],
  ])('refuses a SKESK with %s, before any password is tried', async (_what, edit, why) => {
    const forged = withFirstSkesk(await sealedForOne(), edit);

    const error = errorOf(() => shapeOf(forged, [7]));

    expect(error).toBeInstanceOf(ShapeError);
    expect((error as Error).message).toMatch(why);
    expect((error as Error).message.length).toBeLessThan(200);
  });

  it('refuses more session key packets than it is told to keep, as they arrive', async () => {
    const sealed = await sealer.seal(new Uint8Array(100), [secret(), secret(), secret()]);
    const keeping = (max: number) => {
      const reader = new SealedShapeReader({ maxSessionKeys: max });
      reader.push(sealed.subarray(0, 3 * 78));
      return reader;
    };

    const error = errorOf(() => keeping(2));

    expect(error).toBeInstanceOf(ShapeError);
    expect((error as Error).message).toBe('there are more than 2 session key packets');
    expect(errorOf(() => keeping(3))).toBeUndefined();
  });
});
