/**
 * Sealer with openpgp.js: one RFC 9580 message, encrypted once, openable by any of the recipients'
 * secrets (one SKESK packet per password).
 *
 * - aeadProtect: SEIPD v2 with AEAD (GCM, openpgp 6.3.2's default AEAD mode), AES-256.
 * - s2kIterationCountByte 0: the cheapest iterated-and-salted S2K. The passwords are 256-bit random
 *   secrets, not human passwords, so a slow KDF adds latency without adding security.
 * - No compression: compressing attacker-influenced plaintext before encryption leaks length hints.
 * - Binary, not armored: armor adds a third to the stored size.
 */
import * as openpgp from 'openpgp';
import type { Sealer } from '../../core/messages/index.ts';

export const SEAL_CONFIG = {
  aeadProtect: true,
  preferredSymmetricAlgorithm: openpgp.enums.symmetric.aes256,
  preferredCompressionAlgorithm: openpgp.enums.compression.uncompressed,
  s2kIterationCountByte: 0,
} as const;

export class OpenPgpSealer implements Sealer {
  async seal(plaintext: Uint8Array, passwords: readonly string[]): Promise<Uint8Array> {
    if (passwords.length === 0) throw new RangeError('at least one password is required');
    const message = await openpgp.createMessage({ binary: plaintext, format: 'binary' });
    return openpgp.encrypt({ message, passwords: [...passwords], format: 'binary', config: SEAL_CONFIG });
  }

  async unlock(sessionKeyPackets: Uint8Array, password: string): Promise<string | undefined> {
    try {
      const message = await openpgp.readMessage({ binaryMessage: sessionKeyPackets });
      const [key] = await openpgp.decryptSessionKeys({ message, passwords: [password] });
      if (!key) return undefined;
      const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', key.data as Uint8Array<ArrayBuffer>));
      key.data.fill(0);
      return Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('');
    } catch {
      return undefined;
    }
  }

  async open(ciphertext: Uint8Array, password: string): Promise<Uint8Array> {
    const message = await openpgp.readMessage({ binaryMessage: ciphertext });
    const { data } = await openpgp.decrypt({ message, passwords: [password], format: 'binary' });
    return data;
  }
}
