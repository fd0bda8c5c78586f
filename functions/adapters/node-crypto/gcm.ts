/**
 * The sealer's primitives on node:crypto (core/protocol/openpgp-keys.ts SyncCrypto): one
 * synchronous AES-256-GCM per 256 KiB chunk, written straight into the sealed message, and the
 * keys' SHA-256 and HKDF without a trip to another thread — what the sender API seals with. The
 * bytes are the very ones WebCrypto would write (the same keys, nonces and additional data;
 * test/adapters/node-crypto/gcm.test.ts compares them); only the cost differs: WebCrypto is
 * asynchronous, a trip to another thread and a copy in and out per call, while this runs at the
 * speed of one raw AES-GCM pass (npm run bench, "seal + open").
 */
import { createCipheriv, createHash, hkdfSync } from 'node:crypto';
import type { SyncCrypto } from '../../core/protocol/index.ts';

const TAG_BYTES = 16;

export const nodeGcmChunkSealer: SyncCrypto['gcm'] = (key, nonce, plain, adata, out) => {
  if (out.length !== plain.length + TAG_BYTES) throw new RangeError('a sealed chunk is its plaintext and a 16-byte tag');
  const cipher = createCipheriv('aes-256-gcm', key, nonce, { authTagLength: TAG_BYTES });
  cipher.setAAD(adata);
  let at = 0;
  const write = (bytes: Uint8Array) => { out.set(bytes, at); at += bytes.length; };
  if (plain.length > 0) write(cipher.update(plain));
  write(cipher.final());
  write(cipher.getAuthTag());
  if (at !== out.length) throw new Error('AES-GCM wrote an unexpected length');
};

export const nodeSyncCrypto: SyncCrypto = {
  gcm: nodeGcmChunkSealer,
  sha256: (data) => {
    const digest = createHash('sha256').update(data).digest();
    const copy = new Uint8Array(digest);
    digest.fill(0); // a key (S2K): the copy is the caller's to zero
    return copy;
  },
  hkdf: (ikm, salt, info, bytes) => new Uint8Array(hkdfSync('sha256', ikm, salt, info, bytes)),
};
