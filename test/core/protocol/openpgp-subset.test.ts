import * as openpgp from 'openpgp';
import { describe, expect, it } from 'vitest';
import { createDecryptor, decrypt, decryptStream, DecryptError, type DecryptProgress } from '../../../functions/core/protocol/index.ts';
import { assemble, CHUNK_BYTES, layoutOf, sameBytes, sealer, simpleS2kSkesk } from '../../helpers/sealed-layout.ts';

const PASSWORD = 'AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8';
const bytes = (n: number) => new Uint8Array(n).map((_, i) => (i * 31 + 7) & 0xff);
const text = (value: string) => new TextEncoder().encode(value);
const refused = async (work: Promise<unknown>, reason?: DecryptError['reason']) => {
  const error = await work.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(DecryptError);
  if (reason) expect((error as DecryptError).reason).toBe(reason);
};

/** The test vector of docs/protocol.md §3: sealed by sealpost's sealer (openpgp.js 6.3.2) for the secret of §1. */
const VECTOR = {
  password: PASSWORD,
  plaintext: 'Subject: Test vector\r\n\r\nHello from sealpost.\r\n',
  ciphertext: 'w0wGGgkDCwMIlhXwxS0ExgwAkh9kncl/Abhwhb+KcY4LV8i/bQ3Ve9VoEOQrju85bqUU2VqLyNk/XgVfrehoWi/ps6eb6iO9roiAuJ140noCCQMMYv3yw1Ms9ZYOjQVWeaQjdmavh08DZlw70s8bXN/qeRSpZby6x7iSUZmnO+or9t5p6MNKmkk5GSba+mHNc7uG+jard+Y97OwhUp13dzJgY5+1Q0WtJLag0i0FegLu1eVo3nn6OWYEt9FNq+4F0/4chXeDlUF/YQ==',
};

describe('decrypt (the RFC 9580 subset, WebCrypto)', () => {
  it('opens what the sealer sealed, with any recipient\'s password', async () => {
    const plaintext = bytes(5000);
    const passwords = [PASSWORD, 'B'.repeat(43), 'C'.repeat(43)];

    const ciphertext = await sealer.seal(plaintext, passwords);

    for (const password of passwords) expect(await decrypt(ciphertext, password)).toEqual(plaintext);
  });

  it('opens an empty message', async () => {
    const ciphertext = await sealer.seal(new Uint8Array(0), [PASSWORD]);

    expect(await decrypt(ciphertext, PASSWORD)).toEqual(new Uint8Array(0));
  });

  it('refuses a wrong password as such', async () => {
    const ciphertext = await sealer.seal(text('x'), [PASSWORD]);

    await refused(decrypt(ciphertext, 'B'.repeat(43)), 'wrong-password');
  });

  it('opens the test vector of docs/protocol.md, as openpgp.js does', async () => {
    const ciphertext = new Uint8Array(Buffer.from(VECTOR.ciphertext, 'base64'));

    const ours = new TextDecoder().decode(await decrypt(ciphertext, VECTOR.password));
    const theirs = await sealer.open(ciphertext, VECTOR.password);

    expect(ours).toBe(VECTOR.plaintext);
    expect(new TextDecoder().decode(theirs)).toBe(VECTOR.plaintext);
  });

  it('opens a message whose encrypted data has one definite length as one with partial lengths', async () => {
    const plaintext = bytes(2 * CHUNK_BYTES + 100);
    const sealed = await sealer.seal(plaintext, [PASSWORD]);
    const layout = layoutOf(sealed);

    const reframed = assemble(sealed, layout, [layout.header, ...layout.chunks, layout.finalTag]);

    expect(reframed).not.toEqual(sealed);
    expect(sameBytes(await decrypt(reframed, PASSWORD), plaintext)).toBe(true);
    expect(sameBytes(await sealer.open(reframed, PASSWORD), plaintext)).toBe(true);
  });

  it('opens an SKESK with simple S2K, as openpgp.js does', async () => {
    const sealed = await sealer.seal(text('simple'), [PASSWORD]);
    const [sessionKey] = await openpgp.decryptSessionKeys({ message: await openpgp.readMessage({ binaryMessage: sealed }), passwords: [PASSWORD] });
    const message = new Uint8Array(Buffer.concat([simpleS2kSkesk('simple password', sessionKey?.data ?? new Uint8Array()), sealed]));

    expect(new TextDecoder().decode(await decrypt(message, 'simple password'))).toBe('simple');
    expect(new TextDecoder().decode(await sealer.open(message, 'simple password'))).toBe('simple');
  });

  it('refuses what sealpost never seals: SEIPD v1, compression, text literal data', async () => {
    const message = (config: Partial<openpgp.Config>, literal: 'binary' | 'text' = 'binary') => async () => openpgp.encrypt({
      message: literal === 'binary' ? await openpgp.createMessage({ binary: text('x') }) : await openpgp.createMessage({ text: 'x' }),
      passwords: [PASSWORD], format: 'binary', config: { aeadProtect: true, preferredSymmetricAlgorithm: openpgp.enums.symmetric.aes256, ...config },
    }) as Promise<Uint8Array>;

    for (const make of [message({ aeadProtect: false }), message({ preferredCompressionAlgorithm: openpgp.enums.compression.zlib }), message({}, 'text')]) {
      await refused(decrypt(await make(), PASSWORD), 'unsupported');
    }
  });

  it('refuses the work a hostile sender could ask of a recipient\'s browser: a higher S2K count, more than 101 SKESKs, chunks under 64 KiB', async () => {
    const seal = async (config: Partial<openpgp.Config>, passwords = [PASSWORD]) => await openpgp.encrypt({
      message: await openpgp.createMessage({ binary: text('counted') }), passwords, format: 'binary',
      config: { aeadProtect: true, preferredSymmetricAlgorithm: openpgp.enums.symmetric.aes256, s2kIterationCountByte: 0, ...config },
    }) as Uint8Array;
    const many = Array.from({ length: 101 }, (_, i) => `decoy-${i}`);

    await refused(decrypt(await seal({ s2kIterationCountByte: 96 }), PASSWORD));
    await refused(decrypt(await seal({}, [...many, PASSWORD]), PASSWORD), 'malformed');
    await refused(decrypt(await seal({ aeadChunkSizeByte: 0 }), PASSWORD), 'malformed');
    // The bounds themselves open: 101 SKESKs, 64 KiB chunks, count byte 0.
    expect(new TextDecoder().decode(await decrypt(await seal({ aeadChunkSizeByte: 10 }, [...many.slice(1), PASSWORD]), PASSWORD))).toBe('counted');
  });
});

describe('createDecryptor (streaming)', () => {
  it('gives the plaintext out chunk by chunk as the ciphertext arrives, and reports progress', async () => {
    const plaintext = bytes(3 * CHUNK_BYTES + 5);
    const ciphertext = await sealer.seal(plaintext, [PASSWORD]);
    const progress: DecryptProgress[] = [];
    const decryptor = createDecryptor(PASSWORD, { onProgress: (p) => progress.push(p) });

    const pieces: Uint8Array[] = [];
    for (let at = 0; at < ciphertext.length; at += 100_000) pieces.push(await decryptor.push(ciphertext.subarray(at, at + 100_000)));
    pieces.push(await decryptor.finish());

    expect(sameBytes(Buffer.concat(pieces), plaintext)).toBe(true);
    expect(pieces.filter((p) => p.length > 0).length).toBeGreaterThan(2);
    expect(progress.at(-1)).toEqual({ ciphertextBytes: ciphertext.length, plaintextBytes: plaintext.length });
  });

  it('keeps the order of pushes that are not awaited one by one', async () => {
    const plaintext = bytes(CHUNK_BYTES + 1);
    const ciphertext = await sealer.seal(plaintext, [PASSWORD]);
    const decryptor = createDecryptor(PASSWORD);

    const pieces = await Promise.all([decryptor.push(ciphertext.subarray(0, 1000)), decryptor.push(ciphertext.subarray(1000)), decryptor.finish()]);

    expect(sameBytes(Buffer.concat(pieces), plaintext)).toBe(true);
  });

  it('hands the plaintext to onPlaintext chunk by chunk, unjoined, and resolves pushes to nothing', async () => {
    const plaintext = bytes(3 * CHUNK_BYTES + 5);
    const ciphertext = await sealer.seal(plaintext, [PASSWORD]);
    const pieces: Uint8Array[] = [];
    const progress: DecryptProgress[] = [];
    const decryptor = createDecryptor(PASSWORD, { onPlaintext: (piece) => pieces.push(piece), onProgress: (p) => progress.push(p) });

    // One push completes every chunk but the last: each comes out on its own, not copied into one.
    expect(await decryptor.push(ciphertext)).toHaveLength(0);
    expect(pieces.length).toBe(3);
    expect(await decryptor.finish()).toHaveLength(0);

    expect(pieces.length).toBe(4);
    expect(sameBytes(Buffer.concat(pieces), plaintext)).toBe(true);
    expect(progress.at(-1)).toEqual({ ciphertextBytes: ciphertext.length, plaintextBytes: plaintext.length });
    // A sink that throws fails the decryption, as anything wrong does.
    await refused(createDecryptor(PASSWORD, { onPlaintext: () => { throw new RangeError('full'); } }).push(ciphertext));
  });

  it('decryptStream yields the plaintext of an async iterable of pieces', async () => {
    const plaintext = bytes(1000);
    const ciphertext = await sealer.seal(plaintext, [PASSWORD]);
    async function* pieces() { for (let at = 0; at < ciphertext.length; at += 64) yield ciphertext.subarray(at, at + 64); }

    const out: Uint8Array[] = [];
    for await (const piece of decryptStream(pieces(), PASSWORD)) out.push(piece);

    expect(new Uint8Array(Buffer.concat(out))).toEqual(plaintext);
  });

  it('refuses a message cut at a chunk boundary only at finish, and stays refused', async () => {
    const plaintext = bytes(2 * CHUNK_BYTES + 10);
    const sealed = await sealer.seal(plaintext, [PASSWORD]);
    const layout = layoutOf(sealed);
    const cut = assemble(sealed, layout, [layout.header, ...layout.chunks.slice(0, 2)]);
    const decryptor = createDecryptor(PASSWORD);

    const released = await decryptor.push(cut);

    // The first chunk's plaintext (less the literal packet's framing); the second may yet turn out to be the last.
    expect(released.length).toBeGreaterThan(CHUNK_BYTES - 20);
    expect(sameBytes(released, plaintext.subarray(0, released.length))).toBe(true);
    await refused(decryptor.finish());
    await refused(decryptor.push(new Uint8Array(1)));
  });

  it('refuses data after the end of the message', async () => {
    const ciphertext = await sealer.seal(text('x'), [PASSWORD]);

    await refused(decrypt(new Uint8Array([...ciphertext, 0xc3]), PASSWORD), 'malformed');
  });
});
