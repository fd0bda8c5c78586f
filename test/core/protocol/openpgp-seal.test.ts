/**
 * The protocol's sealer (functions/core/protocol/openpgp-seal.ts), held against independent readers:
 * openpgp.js 6 (the test oracle, a devDependency) opens every message it writes, with every password,
 * and agrees on the session key each password unlocks; the page's decryptor opens them; the upload
 * check accepts their shape; and any changed byte is refused by both openpgp.js and the decryptor.
 * Messages openpgp.js seals with sealpost's configuration still open and unlock with ours. When a
 * Sequoia `sq` of 1.0 or later is on the machine it must open them too (skipped otherwise).
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import * as openpgp from 'openpgp';
import { describe, expect, it } from 'vitest';
import { DecryptError, SEAL_CHUNK_SIZE_OCTET, SealedShapeReader, SubsetSealer, decrypt, encodeSecret } from '../../../functions/core/protocol/index.ts';
import { OpenPgpSealer } from '../../helpers/openpgp-sealer.ts';
import { nodeSyncCrypto } from '../../../functions/adapters/node-crypto/gcm.ts';

const sealer = new SubsetSealer((n) => new Uint8Array(randomBytes(n)));
const oracle = new OpenPgpSealer();
const secretOf = (fill: number) => encodeSecret(new Uint8Array(32).fill(fill));
const secret = () => encodeSecret(new Uint8Array(randomBytes(32)));
const CHUNK = 2 ** (SEAL_CHUNK_SIZE_OCTET + 6);
/** The Literal Data packet's header in front of the plaintext (tag, five-octet length, `b`, empty name, date): 12 bytes from 8,378 plaintext bytes on. */
const LITERAL_HEADER = 12;

const sameBytes = (a: Uint8Array, b: Uint8Array) => Buffer.from(a.buffer, a.byteOffset, a.length).equals(Buffer.from(b.buffer, b.byteOffset, b.length));
const hex = async (bytes: Uint8Array) => Buffer.from(await crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>)).toString('hex');

async function openpgpOpen(sealed: Uint8Array, password: string): Promise<Uint8Array> {
  const message = await openpgp.readMessage({ binaryMessage: sealed });
  const { data } = await openpgp.decrypt({ message, passwords: [password], format: 'binary' });
  return data as Uint8Array;
}

/** What openpgp.js says `password` unlocks from `sealed`: the SHA-256 (hex) of the session key, or undefined. */
async function openpgpUnlock(sealed: Uint8Array, password: string): Promise<string | undefined> {
  try {
    const [key] = await openpgp.decryptSessionKeys({ message: await openpgp.readMessage({ binaryMessage: sealed }), passwords: [password] });
    return key ? await hex(key.data) : undefined;
  } catch {
    return undefined;
  }
}

function shapeOf(sealed: Uint8Array) {
  const reader = new SealedShapeReader({ maxSessionKeys: 101 });
  reader.push(sealed);
  return reader.finish();
}

describe('SubsetSealer', () => {
  it('opens with each of the passwords it was sealed for', async () => {
    const plaintext = new TextEncoder().encode('hello, sealed world');
    const secrets = [secretOf(1), secretOf(2), secretOf(3)];

    const ciphertext = await sealer.seal(plaintext, secrets);

    for (const s of secrets) expect(await sealer.open(ciphertext, s)).toEqual(plaintext);
  });

  it('fails to open with a wrong secret, and needs at least one password', async () => {
    const ciphertext = await sealer.seal(new TextEncoder().encode('x'), [secretOf(1)]);

    await expect(sealer.open(ciphertext, secretOf(9))).rejects.toThrow(DecryptError);
    await expect(sealer.seal(new Uint8Array(1), [])).rejects.toThrow(RangeError);
  });

  it('fails to open when any single byte of the ciphertext is flipped', async () => {
    const plaintext = new Uint8Array(2000).map((_, i) => i & 0xff);
    const ciphertext = await sealer.seal(plaintext, [secretOf(1)]);
    // Every 17th position covers packet headers, the SKESK, the AEAD chunks and the final tag.
    const positions = Array.from({ length: ciphertext.length }, (_, i) => i).filter((i) => i % 17 === 0 || i >= ciphertext.length - 20);

    for (const position of positions) {
      const tampered = ciphertext.slice();
      tampered[position] = (tampered[position] as number) ^ 0x01;
      await expect(sealer.open(tampered, secretOf(1)), `byte ${position}`).rejects.toThrow();
    }
  });

  it('writes RFC 9580 AEAD packets: v6 SKESK per recipient, SEIPD v2 with AES-256, no compression, binary', async () => {
    const ciphertext = await sealer.seal(new TextEncoder().encode('x'.repeat(1000)), [secretOf(1), secretOf(2)]);

    const message = await openpgp.readMessage({ binaryMessage: ciphertext });
    const tags = message.packets.map((p) => (p.constructor as unknown as { tag: number }).tag);
    expect(tags).toEqual([openpgp.enums.packet.symEncryptedSessionKey, openpgp.enums.packet.symEncryptedSessionKey, openpgp.enums.packet.symEncryptedIntegrityProtectedData]);
    const skesk = message.packets[0] as unknown as { version: number; s2k: { c?: number; type: string } };
    expect(skesk.version).toBe(6);
    expect(skesk.s2k).toMatchObject({ type: 'iterated', c: 0 });
    const seipd = message.packets[2] as unknown as { version: number; cipherAlgorithm: number; aeadAlgorithm: number; chunkSizeByte: number };
    expect(seipd).toMatchObject({ version: 2, cipherAlgorithm: openpgp.enums.symmetric.aes256, aeadAlgorithm: openpgp.enums.aead.gcm, chunkSizeByte: 12 });
    expect(ciphertext[0]).not.toBe('-'.charCodeAt(0));
    const decrypted = await message.decrypt(undefined, [secretOf(2)]);
    const inner = decrypted.packets.map((p) => (p.constructor as unknown as { tag: number }).tag);
    expect(inner).toEqual([openpgp.enums.packet.literalData]);
    const literal = decrypted.packets[0] as unknown as { format: string; filename: string };
    expect(literal).toMatchObject({ format: openpgp.enums.literal.binary, filename: '' });
  });

  it('writes byte for byte the form the upload check pins, and exactly the bytes the sizes say (one buffer, nothing after)', async () => {
    const passwords = [secret(), secret(), secret()];
    const plaintext = new Uint8Array(randomBytes(3 * CHUNK + 5));

    const sealed = await sealer.seal(plaintext, passwords);

    for (let i = 0; i < 3; i++) {
      const skesk = sealed.subarray(i * 78, (i + 1) * 78);
      expect(Array.from(skesk.subarray(0, 9))).toEqual([0xc3, 76, 6, 26, 9, 3, 11, 3, 8]);
      expect(skesk[17]).toBe(0);
    }
    const seipd = sealed.subarray(3 * 78);
    const inner = LITERAL_HEADER + plaintext.length;
    const chunks = Math.ceil(inner / CHUNK);
    const body = 36 + inner + 16 * chunks + 16;
    expect(Array.from(seipd.subarray(0, 10))).toEqual([0xd2, 0xff, body >>> 24, (body >>> 16) & 0xff, (body >>> 8) & 0xff, body & 0xff, 2, 9, 3, 12]);
    expect(sealed.length).toBe(3 * 78 + 6 + body);
    expect(shapeOf(sealed)).toMatchObject({ sessionKeys: 3, chunkSizeOctet: 12, bytes: sealed.length });
  });

  it('uses a fresh session key, salts and nonces for every message', async () => {
    const plaintext = new Uint8Array(1000);
    const password = secret();

    const [a, b] = [await sealer.seal(plaintext, [password]), await sealer.seal(plaintext, [password])];

    expect(sameBytes(a.subarray(9, 17), b.subarray(9, 17))).toBe(false); // S2K salt
    expect(sameBytes(a.subarray(18, 30), b.subarray(18, 30))).toBe(false); // SKESK nonce
    expect(sameBytes(a.subarray(78 + 7, 78 + 7 + 32), b.subarray(78 + 7, 78 + 7 + 32))).toBe(false); // SEIPD salt
    expect(await sealer.unlock(shapeOf(a).sessionKeyPackets, password)).not.toBe(await sealer.unlock(shapeOf(b).sessionKeyPackets, password));
  });

  it.each([
    ['WebCrypto', undefined],
    ['node:crypto', nodeSyncCrypto],
  ] as const)('with %s: a seal that fails while its keys are derived zeroes the session key once every derivation has settled', async (_, sync) => {
    // Calls to random: the SEIPD salt, the session key, then each password's salt and nonce; the
    // second password's salt fails, while the first password's key wrap may still be under way.
    const drawn: Uint8Array[] = [];
    const failing = (n: number) => {
      if (drawn.length === 4) throw new Error('no randomness');
      const bytes = new Uint8Array(randomBytes(n));
      drawn.push(bytes);
      return bytes;
    };
    const failed = await new SubsetSealer(failing, sync).seal(new Uint8Array(100), [secretOf(1), secretOf(2)]).then(() => undefined, (e: unknown) => e);
    expect((failed as Error).message).toBe('no randomness');
    const sessionKey = drawn[1] as Uint8Array;
    expect(sessionKey.length).toBe(32);
    expect(sessionKey.every((b) => b === 0)).toBe(true);
  });

  it('reports progress in plaintext bytes, rising to the whole plaintext, and seals the same message as seal()', async () => {
    const plaintext = new Uint8Array(randomBytes(20 * CHUNK + 77));
    const seen: number[] = [];

    const sealed = await sealer.sealWithProgress(plaintext, [secretOf(4)], (n) => seen.push(n));

    expect(seen.length).toBeGreaterThan(1);
    expect(seen).toEqual([...seen].sort((x, y) => x - y));
    expect(seen.at(-1)).toBe(plaintext.length);
    expect(sameBytes(await decrypt(sealed, secretOf(4)), plaintext)).toBe(true);
  });
});

/** Sizes that matter: empty, one byte, the literal header's length changes, every chunk boundary ±1 up to four chunks, a few MiB. */
const SIZES = [0, 1, 185, 186, 8377, 8378, ...[1, 2, 3, 4].flatMap((k) => [k * CHUNK - LITERAL_HEADER - 1, k * CHUNK - LITERAL_HEADER, k * CHUNK - LITERAL_HEADER + 1]), 3 * 1024 * 1024 + 17];

describe('SubsetSealer against openpgp.js (differential)', () => {
  it.each(SIZES)('a message of %i bytes opens with openpgp.js and the decryptor, for each of its passwords, and unlocks as openpgp.js does', async (size) => {
    const plaintext = new Uint8Array(randomBytes(size));
    const passwords = Array.from({ length: 1 + (size % 5) }, secret);

    const sealed = await sealer.seal(plaintext, passwords);

    const shape = shapeOf(sealed);
    expect(shape.sessionKeys).toBe(passwords.length);
    const fingerprints = new Set<string | undefined>();
    for (const password of passwords) {
      expect(sameBytes(await openpgpOpen(sealed, password), plaintext)).toBe(true);
      expect(sameBytes(await decrypt(sealed, password), plaintext)).toBe(true);
      const ours = await sealer.unlock(shape.sessionKeyPackets, password);
      expect(ours).toBe(await openpgpUnlock(shape.sessionKeyPackets, password));
      fingerprints.add(ours);
    }
    expect(fingerprints.size).toBe(1);
    expect([...fingerprints][0]).toMatch(/^[0-9a-f]{64}$/);
  });

  it('random content, sizes and 1–5 passwords: openpgp.js and the decryptor open it with each password, the upload check accepts it (property)', async () => {
    await fc.assert(fc.asyncProperty(
      fc.oneof(fc.integer({ min: 0, max: 2000 }), fc.integer({ min: 0, max: 5 * CHUNK }), fc.constantFrom(...SIZES.filter((s) => s < 5 * CHUNK))),
      fc.integer({ min: 1, max: 5 }),
      async (size, recipients) => {
        const plaintext = new Uint8Array(randomBytes(size));
        const passwords = Array.from({ length: recipients }, secret);
        const seen: number[] = [];

        const sealed = await sealer.sealWithProgress(plaintext, passwords, (n) => seen.push(n));

        expect(shapeOf(sealed)).toMatchObject({ sessionKeys: recipients, chunkSizeOctet: 12 });
        expect(seen.at(-1)).toBe(size);
        for (const password of passwords) {
          expect(sameBytes(await openpgpOpen(sealed, password), plaintext)).toBe(true);
          expect(sameBytes(await decrypt(sealed, password), plaintext)).toBe(true);
        }
        await expect(openpgpOpen(sealed, secret())).rejects.toThrow();
        await expect(decrypt(sealed, secret())).rejects.toThrow(DecryptError);
      },
    ), { numRuns: 30, seed: 20261206 });
  });

  /**
   * Two octets of a SKESK are counts that RFC 9580 does not authenticate and openpgp.js does not read
   * (it skips by the fields themselves): the count of the five fields (offset 3 of the message) and
   * the S2K specifier's length (offset 6). The decryptor refuses any other value there, so they are
   * held against it alone.
   */
  const UNREAD_BY_OPENPGPJS = new Set([3, 6]);

  it('any changed byte of what it seals is refused by openpgp.js and by the decryptor (property)', async () => {
    const plaintext = new Uint8Array(randomBytes(CHUNK + 3000));
    const password = secret();
    const sealed = await sealer.seal(plaintext, [password]);
    for (const position of UNREAD_BY_OPENPGPJS) {
      const tampered = sealed.slice();
      tampered[position] = (tampered[position] as number) ^ 1;
      await expect(decrypt(tampered, password)).rejects.toThrow(DecryptError);
    }

    await fc.assert(fc.asyncProperty(
      // Headers, SKESK and SEIPD header densely; anywhere; the last chunk and the final tag.
      fc.oneof(fc.integer({ min: 0, max: 130 }), fc.integer({ min: 0, max: sealed.length - 1 }), fc.integer({ min: sealed.length - 3100, max: sealed.length - 1 })),
      fc.integer({ min: 1, max: 255 }),
      async (position, xor) => {
        const tampered = sealed.slice();
        tampered[position] = (tampered[position] as number) ^ xor;
        await expect(decrypt(tampered, password), `byte ${position}`).rejects.toThrow(DecryptError);
        if (!UNREAD_BY_OPENPGPJS.has(position)) await expect(openpgpOpen(tampered, password), `byte ${position}`).rejects.toThrow();
      },
    ), { numRuns: 150, seed: 20261207 });
  });

  it('opens and unlocks what openpgp.js seals with sealpost\'s configuration', async () => {
    for (const size of [0, 1, CHUNK - 1, CHUNK + 1, 3 * CHUNK]) {
      const plaintext = new Uint8Array(randomBytes(size));
      const passwords = [secret(), secret()];
      const sealed = await oracle.seal(plaintext, passwords);
      const packets = shapeOf(sealed).sessionKeyPackets;
      for (const password of passwords) {
        expect(sameBytes(await sealer.open(sealed, password), plaintext)).toBe(true);
        expect(await sealer.unlock(packets, password)).toBe(await oracle.unlock(packets, password));
      }
      expect(await sealer.unlock(packets, secret())).toBeUndefined();
    }
  });

  it('unlock: undefined for a wrong password or anything but session key packets, and it never throws (property)', async () => {
    const password = secret();
    const sealed = await sealer.seal(new Uint8Array(100), [password]);
    const packets = shapeOf(sealed).sessionKeyPackets;

    expect(await sealer.unlock(packets, secret())).toBeUndefined();
    expect(await sealer.unlock(sealed, password)).toBeUndefined(); // the SEIPD is not a session key packet
    expect(await sealer.unlock(new Uint8Array(), password)).toBeUndefined();
    expect(await sealer.unlock(packets.subarray(0, 40), password)).toBeUndefined();
    await fc.assert(fc.asyncProperty(fc.uint8Array({ maxLength: 400 }), fc.integer({ min: 0, max: 77 }), fc.integer({ min: 1, max: 255 }), async (noise, at, xor) => {
      expect(await sealer.unlock(noise, password)).toBeUndefined();
      const changed = packets.slice();
      changed[at] = (changed[at] as number) ^ xor;
      // Ours is stricter on the two counts openpgp.js does not read: it refuses the packet.
      expect(await sealer.unlock(changed, password)).toBe(UNREAD_BY_OPENPGPJS.has(at) ? undefined : await openpgpUnlock(changed, password));
    }), { numRuns: 100, seed: 20261208 });
  });
});

/** Sequoia's `sq` 1.0 or later reads v6 SKESK and v2 SEIPD; Debian's 0.27 does not. The check runs only where one is installed. */
function sequoia(): string | undefined {
  const run = spawnSync('sq', ['version'], { encoding: 'utf8' });
  if (run.error || run.status !== 0) return undefined;
  const version = /sq (\d+)\.(\d+)/.exec(`${run.stdout}${run.stderr}`);
  return version && Number(version[1]) >= 1 ? 'sq' : undefined;
}

describe.skipIf(sequoia() === undefined)('SubsetSealer against Sequoia sq ≥ 1.0', () => {
  it('sq decrypts what it seals with the password', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sealpost-sq-'));
    try {
      const plaintext = new Uint8Array(randomBytes(CHUNK + 123));
      const password = secret();
      writeFileSync(join(dir, 'message.pgp'), await sealer.seal(plaintext, [secret(), password]));
      writeFileSync(join(dir, 'password'), password);
      const run = spawnSync('sq', ['--home=none', '--batch', `--password-file=${join(dir, 'password')}`, 'decrypt', `--output=${join(dir, 'out')}`, join(dir, 'message.pgp')], { encoding: 'utf8' });
      expect(run.status, run.stderr).toBe(0);
      expect(sameBytes(readFileSync(join(dir, 'out')), plaintext)).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
