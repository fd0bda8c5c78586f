/**
 * The sealer's chunk cipher on node:crypto (core/protocol/openpgp-seal.ts ChunkSealer): one
 * synchronous AES-256-GCM per 256 KiB chunk, written straight into the sealed message — what the
 * sender API seals with. The bytes are the very ones WebCrypto would write (the same key, nonce and
 * additional data; test/adapters/node-crypto/gcm.test.ts compares them); only the cost differs:
 * WebCrypto is asynchronous, a trip to another thread and a copy in and out per chunk, while this
 * runs at the speed of one raw AES-GCM pass (npm run bench, "seal + open").
 */
import { createCipheriv } from 'node:crypto';
import type { ChunkSealer } from '../../core/protocol/index.ts';

const TAG_BYTES = 16;

export const nodeGcmChunkSealer: ChunkSealer = (key, nonce, plain, adata, out) => {
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
