/**
 * Sealing a message with WebCrypto alone: exactly the fixed RFC 9580 subset the decryptor reads
 * (openpgp-subset.ts) and the server's upload check accepts (docs/protocol.md §3, §21) — one v6 SKESK
 * per password (AES-256, GCM, S2K iterated and salted with SHA-256 and count byte 0), then one v2
 * SEIPD (AES-256, GCM, chunk size octet 12: 256 KiB chunks, openpgp.js's default) holding one
 * Literal Data packet (format `b`, no file name, date 0). A fresh random session key, salts and
 * nonces for every message. Both packets carry definite lengths: the size is known before anything
 * is written, so the whole message goes into one buffer allocated once, and each chunk is encrypted
 * straight from the plaintext (only the first, which also holds the literal packet's header, is copied).
 *
 * OpenPGP.js (the test oracle: test/core/protocol/openpgp-seal.test.ts) opens what this
 * writes, and this decryptor opens what OpenPGP.js writes with sealpost's configuration.
 */
import type { RandomBytes } from '../shared/index.ts';
import {
  AES256, GCM, KEY_BYTES, MAX_SKESKS, TAG, TAG_BYTES, WRITTEN_SKESK_BYTES, gcmSeal, inFlight, openSkesk, parseSkesk, seipdCipher, seipdKeysSync, subtle, writeSkesk,
  writeSkeskSync, type Seipd, type SeipdKeys, type Skesk, type SyncCrypto,
} from './openpgp-keys.ts';

export type { SyncCrypto } from './openpgp-keys.ts';
import { decrypt } from './openpgp-subset.ts';

/** The chunk size octet sealpost writes (chunks of 2^(12+6) = 256 KiB), as openpgp.js does by default. */
export const SEAL_CHUNK_SIZE_OCTET = 12;
/** Version, cipher, AEAD mode, chunk size octet, then the 32-byte salt. */
const SEIPD_HEADER_BYTES = 36;
/** The Literal Data fields before the data: format `b`, a zero-length file name, a four-octet date of 0 ("no specific time", §5.9). */
const LITERAL_FIELDS = [0x62, 0, 0, 0, 0, 0] as const;
/** Chunks handed to WebCrypto at once: enough to keep its threads busy, few enough that memory stays small (4 MiB in flight). */
const CHUNKS_IN_FLIGHT = 16;

/** A new-format packet length (RFC 9580 §4.2.1.1–3): one, two or five octets. */
function lengthOctets(n: number): Uint8Array {
  if (n < 192) return Uint8Array.of(n);
  if (n < 8384) return Uint8Array.of(((n - 192) >> 8) + 192, (n - 192) & 0xff);
  if (n > 0xffffffff) throw new RangeError('a sealed message is at most 4 GiB');
  return Uint8Array.of(255, n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff);
}

const toHex = (bytes: Uint8Array) => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');


/** The Sealer port (core/messages ports.ts) and the SDK's ProgressSealer, on the subset. */
export class SubsetSealer {
  /**
   * `random`: the source of the session key, salts and nonces (cryptographically secure).
   * `sync`: synchronous AES-GCM, SHA-256 and HKDF, where the runtime has them (else WebCrypto). A
   * large message is then sealed in one pass at the speed of one raw AES-GCM (each chunk a WebCrypto
   * call is asynchronous, its own thread and copies), and its keys without a trip to another thread.
   */
  constructor(private readonly random: RandomBytes, private readonly sync?: SyncCrypto) {}

  /** One message openable by each of `passwords` (the recipients' message keys, §1). */
  seal(plaintext: Uint8Array, passwords: readonly string[]): Promise<Uint8Array> {
    return this.sealWithProgress(plaintext, passwords, () => undefined);
  }

  /** seal(), with `onProgress` told how many plaintext bytes are sealed so far (last: all of them). */
  async sealWithProgress(plaintext: Uint8Array, passwords: readonly string[], onProgress: (bytesSealed: number) => void): Promise<Uint8Array> {
    if (passwords.length === 0) throw new RangeError('at least one password is required');
    if (passwords.length > MAX_SKESKS) throw new RangeError(`at most ${MAX_SKESKS} passwords`);
    const chunkBytes = 2 ** (SEAL_CHUNK_SIZE_OCTET + 6);
    // The decrypted stream: the Literal Data packet, its header first.
    const literalHeader = Uint8Array.of(0xc0 | TAG.literal, ...lengthOctets(LITERAL_FIELDS.length + plaintext.length), ...LITERAL_FIELDS);
    const innerBytes = literalHeader.length + plaintext.length;
    const chunks = Math.ceil(innerBytes / chunkBytes);
    const seipdBodyBytes = SEIPD_HEADER_BYTES + innerBytes + chunks * TAG_BYTES + TAG_BYTES;
    const seipdHeader = Uint8Array.of(0xc0 | TAG.seipd, ...lengthOctets(seipdBodyBytes));
    const header = new Uint8Array(SEIPD_HEADER_BYTES);
    header.set([2, AES256, GCM, SEAL_CHUNK_SIZE_OCTET]);
    header.set(this.random(SEIPD_HEADER_BYTES - 4), 4);

    const sessionKey = this.random(KEY_BYTES);
    let first: Uint8Array | undefined;
    let keyBytes: Uint8Array | undefined;
    // The session keys' packets and the chunk cipher need only the session key. With synchronous
    // primitives they are derived at once; with WebCrypto side by side (each call is a trip to
    // another thread and back; these are the ones made in sequence), started before the output is
    // allocated, which they overlap (10 MiB: about 2 ms each). The same random bytes are drawn in
    // the same order either way.
    const encoder = new TextEncoder();
    const encoded = passwords.map((password) => encoder.encode(password));
    const sync = this.sync;
    // WebCrypto's derivations, each kept: whatever happens, all have settled before the finally zeroes anything.
    let skeskWork: Promise<Uint8Array>[] = [];
    let cipherWork: Promise<Seipd> | undefined;
    let derived: Promise<[Uint8Array[], Seipd]> | undefined;
    try {
      const derivedNow: [Uint8Array[], SeipdKeys] | undefined = sync
        ? [encoded.map((password) => writeSkeskSync(sessionKey, password, this.random, sync)), seipdKeysSync(header, sessionKey, sync)]
        : undefined;
      if (derivedNow) keyBytes = derivedNow[1].keyBytes;
      if (!derivedNow) {
        skeskWork = encoded.map((password) => writeSkesk(sessionKey, password, this.random));
        cipherWork = seipdCipher(header, sessionKey, 'encrypt');
        derived = Promise.all([Promise.all(skeskWork), cipherWork]);
      }
      // (No room for the message: the finally below waits for the keys being derived, and zeroes them.)
      const out = new Uint8Array(passwords.length * WRITTEN_SKESK_BYTES + seipdHeader.length + seipdBodyBytes);
      const seipdAt = passwords.length * WRITTEN_SKESK_BYTES;
      out.set(seipdHeader, seipdAt);
      out.set(header, seipdAt + seipdHeader.length);
      const chunksAt = seipdAt + seipdHeader.length + SEIPD_HEADER_BYTES;
      const [skesks, cipher] = derivedNow ?? await (derived as Promise<[Uint8Array[], Seipd]>);
      keyBytes = cipher.keyBytes;
      skesks.forEach((skesk, i) => out.set(skesk, i * WRITTEN_SKESK_BYTES));

      // The final tag: GCM over nothing, after the last chunk, its additional data holding the total
      // length. It needs no chunk, so it is computed alongside them.
      const finalData = new Uint8Array(cipher.adata.length + 8);
      finalData.set(cipher.adata);
      new DataView(finalData.buffer).setBigUint64(cipher.adata.length, BigInt(innerBytes));

      // Chunk i is the decrypted stream's bytes [i·C, (i+1)·C): past the first, a view of the plaintext.
      const plainOf = (i: number): Uint8Array => {
        const end = Math.min((i + 1) * chunkBytes, innerBytes) - literalHeader.length;
        if (i > 0) return plaintext.subarray(i * chunkBytes - literalHeader.length, end);
        first = new Uint8Array(literalHeader.length + end);
        first.set(literalHeader);
        first.set(plaintext.subarray(0, end), literalHeader.length);
        return first;
      };
      if (sync) {
        // One pass, each chunk's ciphertext and tag straight into its place in the output.
        let sealedBytes = 0;
        for (let i = 0; i < chunks; i++) {
          const plain = plainOf(i);
          const at = chunksAt + i * (chunkBytes + TAG_BYTES);
          sync.gcm(cipher.keyBytes, cipher.nonce(i), plain, cipher.adata, out.subarray(at, at + plain.length + TAG_BYTES));
          sealedBytes += i === 0 ? plain.length - literalHeader.length : plain.length;
          onProgress(sealedBytes);
        }
        sync.gcm(cipher.keyBytes, cipher.nonce(chunks), new Uint8Array(), finalData, out.subarray(out.length - TAG_BYTES));
        return out;
      }
      const { key } = cipher as Seipd;
      const finalTag = gcmSeal(key, cipher.nonce(chunks), new Uint8Array(), finalData);
      finalTag.catch(() => undefined); // awaited below; not an unhandled rejection if a chunk fails first
      // A window of chunks in flight, each next one started as one finishes (no batch waits for its slowest).
      let sealedBytes = 0;
      await inFlight(Array.from({ length: chunks }, (_, i) => i), CHUNKS_IN_FLIGHT, async (i) => {
        const plain = plainOf(i);
        out.set(await gcmSeal(key, cipher.nonce(i), plain, cipher.adata), chunksAt + i * (chunkBytes + TAG_BYTES));
        sealedBytes += i === 0 ? plain.length - literalHeader.length : plain.length;
        onProgress(sealedBytes);
      });
      out.set(await finalTag, out.length - TAG_BYTES);
      return out;
    } finally {
      // A derivation still under way (the output could not be allocated, or another derivation
      // failed first): waited for, so that none reads what is zeroed here, and its key zeroed too.
      if (cipherWork) {
        await Promise.allSettled([...skeskWork, cipherWork]);
        (await cipherWork.catch(() => undefined))?.keyBytes.fill(0);
      }
      sessionKey.fill(0);
      encoded.forEach((password) => password.fill(0));
      first?.fill(0);
      keyBytes?.fill(0);
    }
  }

  /**
   * The SHA-256 (hex) of the session key `password` opens from `sessionKeyPackets` (a message of
   * only SKESKs, at most 101, the first that opens wins); undefined when none opens or the bytes are
   * anything else. Never throws.
   */
  async unlock(sessionKeyPackets: Uint8Array, password: string): Promise<string | undefined> {
    try {
      // All of it must be SKESKs (new-format header, tag 3, a one-octet length: how the subset frames
      // them) before any password is tried.
      const skesks: Skesk[] = [];
      for (let at = 0; at < sessionKeyPackets.length;) {
        const length = sessionKeyPackets[at + 1];
        if (sessionKeyPackets[at] !== (0xc0 | TAG.skesk) || length === undefined || length >= 192 || at + 2 + length > sessionKeyPackets.length) return undefined;
        if (skesks.length >= MAX_SKESKS) return undefined;
        skesks.push(parseSkesk(sessionKeyPackets.subarray(at + 2, at + 2 + length)));
        at += 2 + length;
      }
      const secret = new TextEncoder().encode(password);
      try {
        for (const skesk of skesks) {
          const key = await openSkesk(skesk, secret).catch(() => undefined);
          if (key === undefined) continue;
          if (key.length !== KEY_BYTES) return undefined;
          const digest = toHex(new Uint8Array(await subtle().digest('SHA-256', key as BufferSource)));
          key.fill(0);
          return digest;
        }
        return undefined;
      } finally {
        secret.fill(0);
      }
    } catch {
      return undefined;
    }
  }

  /** The plaintext of a sealed message (the subset's decryptor); rejects with a DecryptError. */
  open(ciphertext: Uint8Array, password: string): Promise<Uint8Array> {
    return decrypt(ciphertext, password);
  }
}
