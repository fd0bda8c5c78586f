/**
 * The test oracle: a Sealer with openpgp.js 6.3.2, configured as sealpost seals (what the server used
 * before it sealed the protocol's subset itself, core/protocol/openpgp-seal.ts). Tests use it where
 * they need an independent implementation: messages sealed by another hand for our decryptor and
 * upload check, and openpgp.js opening what ours seals. Nothing in functions/ or web/ imports it.
 * One RFC 9580 message, encrypted once, openable by any of the recipients' secrets (one SKESK
 * packet per password).
 *
 * - aeadProtect: SEIPD v2 with AEAD (GCM, openpgp 6.3.2's default AEAD mode), AES-256.
 * - s2kIterationCountByte 0: the cheapest iterated-and-salted S2K. The passwords are 256-bit random
 *   secrets, not human passwords, so a slow KDF adds latency without adding security.
 * - No compression: compressing attacker-influenced plaintext before encryption leaks length hints.
 * - Binary, not armored: armor adds a third to the stored size.
 */
import * as openpgp from 'openpgp';
import type { Sealer } from '../../functions/core/messages/index.ts';

export const SEAL_CONFIG = {
  aeadProtect: true,
  preferredSymmetricAlgorithm: openpgp.enums.symmetric.aes256,
  preferredCompressionAlgorithm: openpgp.enums.compression.uncompressed,
  s2kIterationCountByte: 0,
} as const;

const STREAM_CHUNK_BYTES = 1024 * 1024;

export class OpenPgpSealer implements Sealer {
  async seal(plaintext: Uint8Array, passwords: readonly string[]): Promise<Uint8Array> {
    if (passwords.length === 0) throw new RangeError('at least one password is required');
    const message = await openpgp.createMessage({ binary: plaintext, format: 'binary' });
    return openpgp.encrypt({ message, passwords: [...passwords], format: 'binary', config: SEAL_CONFIG });
  }

  /**
   * seal(), reporting progress: the plaintext goes through openpgp.js as a stream of 1 MiB chunks
   * (same configuration, same packets), and `onProgress` hears how many bytes have gone in. What the
   * sealpost SDK and CLI seal large messages with.
   */
  async sealWithProgress(plaintext: Uint8Array, passwords: readonly string[], onProgress: (bytesSealed: number) => void): Promise<Uint8Array> {
    if (passwords.length === 0) throw new RangeError('at least one password is required');
    let at = 0;
    const input = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (at >= plaintext.length) return controller.close();
        const end = Math.min(at + STREAM_CHUNK_BYTES, plaintext.length);
        controller.enqueue(plaintext.subarray(at, end));
        at = end;
        onProgress(at);
      },
    });
    const message = await openpgp.createMessage({ binary: input, format: 'binary' });
    const output = await openpgp.encrypt({ message, passwords: [...passwords], format: 'binary', config: SEAL_CONFIG }) as ReadableStream<Uint8Array>;
    const chunks: Uint8Array[] = [];
    let total = 0;
    for (const reader = output.getReader(); ;) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      total += value.length;
    }
    const sealed = new Uint8Array(total);
    let offset = 0;
    for (const chunk of chunks) {
      sealed.set(chunk, offset);
      offset += chunk.length;
    }
    return sealed;
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
