import { describe, expect, it } from 'vitest';
import * as openpgp from 'openpgp';
import { encodeSecret } from '../../../functions/core/protocol/index.ts';
import { OpenPgpSealer } from '../../../functions/adapters/openpgp/sealer.ts';

const sealer = new OpenPgpSealer();
const secretOf = (fill: number) => encodeSecret(new Uint8Array(32).fill(fill));

describe('OpenPgpSealer', () => {
  it('opens with each of the passwords it was sealed for', async () => {
    const plaintext = new TextEncoder().encode('hello, sealed world');
    const secrets = [secretOf(1), secretOf(2), secretOf(3)];

    const ciphertext = await sealer.seal(plaintext, secrets);

    for (const secret of secrets) expect(await sealer.open(ciphertext, secret)).toEqual(plaintext);
  });

  it('fails to open with a wrong secret', async () => {
    const ciphertext = await sealer.seal(new TextEncoder().encode('x'), [secretOf(1)]);

    await expect(sealer.open(ciphertext, secretOf(9))).rejects.toThrow();
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
    const skesk = message.packets[0] as unknown as { version: number; s2k: { c?: number } };
    expect(skesk.version).toBe(6);
    expect(skesk.s2k.c).toBe(0);
    const seipd = message.packets[2] as unknown as { version: number; cipherAlgorithm: number };
    expect(seipd.version).toBe(2);
    expect(seipd.cipherAlgorithm).toBe(openpgp.enums.symmetric.aes256);
    expect(ciphertext[0]).not.toBe('-'.charCodeAt(0));
    const decrypted = await message.decrypt(undefined, [secretOf(2)]);
    const inner = decrypted.packets.map((p) => (p.constructor as unknown as { tag: number }).tag);
    expect(inner).toEqual([openpgp.enums.packet.literalData]);
  });
});
