/**
 * Decrypting a sealed message with WebCrypto alone: the fixed subset of RFC 9580 that sealpost seals
 * (docs/protocol.md §3) — v6 SKESK packets (AES-256, GCM; S2K simple, salted or iterated-and-salted
 * with SHA-256), then one v2 SEIPD packet (AES-256, GCM) holding one binary Literal Data packet
 * (Padding packets may follow it). Anything else is refused as unsupported: the algorithms come
 * from the packets, as RFC 9580 requires, and only these are accepted. The server seals with
 * openpgp.js; this is what the browser opens with (so the page carries no OpenPGP library), and it
 * reads a message as it arrives.
 *
 * Streaming: ciphertext goes in piece by piece (`push`), and each AEAD chunk (256 KiB) comes out as
 * soon as its tag is verified. Only `finish` proves the message whole — its final tag covers the
 * total length, so a message cut at a chunk boundary is refused there and nowhere earlier. Chunks
 * swapped or moved fail their tag (the nonce holds the chunk's index); any changed bit fails a tag,
 * or the framing, or names an algorithm outside the subset.
 */
import { ByteQueue, DecryptError, PacketBody, malformed, takePacketHeader, type PacketHeader } from './openpgp-packets.ts';

export { DecryptError } from './openpgp-packets.ts';

const TAG = { skesk: 3, literal: 11, seipd: 18, padding: 21 } as const;
const AES256 = 9;
const GCM = 3;
const SHA256 = 8;
const S2K = { simple: 0, salted: 1, iterated: 3 } as const;
const KEY_BYTES = 32;
const GCM_IV_BYTES = 12;
const TAG_BYTES = 16;
/**
 * A sealpost message has at most 101 SKESKs (100 recipients and the custody key), each hashing 1,024
 * bytes in its S2K (count byte 0): the same bounds the server's shape check holds uploads to, so a
 * hostile message cannot make a recipient's browser hash gigabytes before anything is authenticated.
 */
const MAX_SKESKS = 101;
const MAX_S2K_COUNT = 1024;
/**
 * RFC 9580 §5.13.2: chunk size octet at most 16 (4 MiB chunks); sealpost writes 12 (256 KiB), and
 * below 10 (64 KiB) a message costs a decryption call per few bytes.
 */
const MIN_CHUNK_SIZE_OCTET = 10;
const MAX_CHUNK_SIZE_OCTET = 16;

export interface DecryptProgress { readonly ciphertextBytes: number; readonly plaintextBytes: number }

export interface DecryptOptions {
  /** Called after each piece of ciphertext is taken in, with the totals so far. */
  readonly onProgress?: (progress: DecryptProgress) => void;
}

/** An incremental decryption: feed it the ciphertext in order, then finish it. */
export interface Decryptor {
  /**
   * Takes the next ciphertext bytes in; resolves to the plaintext they completed (possibly empty).
   * That plaintext is authenticated chunk by chunk, but the message is whole only when `finish`
   * resolves: treat it as provisional until then. Rejects with a DecryptError (and so does every
   * later call) on anything wrong.
   */
  push(bytes: Uint8Array): Promise<Uint8Array>;
  /** No more ciphertext: checks the final tag and that nothing is missing; resolves to the last plaintext. */
  finish(): Promise<Uint8Array>;
}

const subtle = (): SubtleCrypto => globalThis.crypto.subtle;

async function hkdf(ikm: Uint8Array, salt: Uint8Array, info: Uint8Array, bytes: number): Promise<Uint8Array> {
  const key = await subtle().importKey('raw', ikm as BufferSource, 'HKDF', false, ['deriveBits']);
  return new Uint8Array(await subtle().deriveBits({ name: 'HKDF', hash: 'SHA-256', salt: salt as BufferSource, info: info as BufferSource }, key, bytes * 8));
}

const aesKey = (raw: Uint8Array) => subtle().importKey('raw', raw as BufferSource, 'AES-GCM', false, ['decrypt']);

async function gcmOpen(key: CryptoKey, iv: Uint8Array, data: Uint8Array, additionalData: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await subtle().decrypt({ name: 'AES-GCM', iv: iv as BufferSource, additionalData: additionalData as BufferSource, tagLength: 128 }, key, data as BufferSource));
}

/** A v6 SKESK (§5.3.2), as far as the subset reads it. */
interface Skesk { readonly s2kType: number; readonly salt: Uint8Array; readonly count: number; readonly iv: Uint8Array; readonly encrypted: Uint8Array }

function parseSkesk(body: Uint8Array): Skesk {
  const at = (i: number) => body[i] as number;
  if (body.length < 5 || at(0) !== 6) throw new DecryptError('unsupported', 'only v6 SKESK packets are supported');
  const s2kLength = at(4);
  // The two counts are not authenticated: they must agree with the fields, or the packet is refused.
  if (at(1) !== 3 + s2kLength + GCM_IV_BYTES) throw malformed('SKESK field count does not match');
  if (at(2) !== AES256 || at(3) !== GCM) throw new DecryptError('unsupported', 'only AES-256 with GCM is supported');
  const s2k = body.subarray(5, 5 + s2kLength);
  const type = s2k[0];
  const expected = type === S2K.simple ? 2 : type === S2K.salted ? 10 : type === S2K.iterated ? 11 : -1;
  if (expected < 0) throw new DecryptError('unsupported', 'only simple, salted and iterated S2K are supported');
  if (s2k.length !== expected) throw malformed('S2K specifier length does not match');
  if (s2k[1] !== SHA256) throw new DecryptError('unsupported', 'only SHA-256 S2K is supported');
  const c = s2k[10] ?? 0;
  const count = type === S2K.iterated ? (16 + (c & 15)) << ((c >> 4) + 6) : 0;
  if (count > MAX_S2K_COUNT) throw new DecryptError('unsupported', 'S2K iteration count too high');
  const rest = body.subarray(5 + s2kLength);
  if (rest.length !== GCM_IV_BYTES + KEY_BYTES + TAG_BYTES) throw malformed('SKESK session key has the wrong size');
  return { s2kType: type as number, salt: s2k.subarray(2, 10), count, iv: rest.subarray(0, GCM_IV_BYTES), encrypted: rest.subarray(GCM_IV_BYTES) };
}

/** §3.7.1: the S2K's 32 bytes from the password (one SHA-256 context suffices for an AES-256 key). */
async function stringToKey(skesk: Skesk, password: Uint8Array): Promise<Uint8Array> {
  let input: Uint8Array;
  if (skesk.s2kType === S2K.simple) {
    input = password;
  } else {
    const salted = new Uint8Array(skesk.salt.length + password.length);
    salted.set(skesk.salt);
    salted.set(password, skesk.salt.length);
    input = salted;
    if (skesk.s2kType === S2K.iterated) {
      // Salt and password repeated until `count` bytes are hashed (at least once whole).
      input = new Uint8Array(Math.max(skesk.count, salted.length));
      for (let i = 0; i < input.length; i += salted.length) input.set(salted.subarray(0, Math.min(salted.length, input.length - i)), i);
    }
  }
  return new Uint8Array(await subtle().digest('SHA-256', input as BufferSource));
}

/** §5.3: the session key, if `password` opens this SKESK. */
async function openSkesk(skesk: Skesk, password: Uint8Array): Promise<Uint8Array> {
  const header = Uint8Array.of(0xc0 | TAG.skesk, 6, AES256, GCM);
  const kek = await aesKey(await hkdf(await stringToKey(skesk, password), new Uint8Array(), header, KEY_BYTES));
  return gcmOpen(kek, skesk.iv, skesk.encrypted, header);
}

/** The v2 SEIPD chunk cipher (§5.13.2), once its header and the session key are known. */
interface Seipd {
  readonly key: CryptoKey;
  /** The nonce: 4 derived bytes, then the 8-byte big-endian chunk index. */
  readonly nonce: (index: number) => Uint8Array;
  readonly adata: Uint8Array;
  readonly chunkBytes: number;
}

async function seipdCipher(header: Uint8Array, sessionKey: Uint8Array): Promise<Seipd> {
  const adata = Uint8Array.of(0xc0 | TAG.seipd, ...header.subarray(0, 4));
  const derived = await hkdf(sessionKey, header.subarray(4, 36), adata, KEY_BYTES + GCM_IV_BYTES - 8);
  const prefix = derived.subarray(KEY_BYTES);
  return {
    key: await aesKey(derived.subarray(0, KEY_BYTES)),
    nonce: (index) => {
      const nonce = new Uint8Array(GCM_IV_BYTES);
      nonce.set(prefix);
      new DataView(nonce.buffer).setBigUint64(prefix.length, BigInt(index));
      return nonce;
    },
    adata,
    chunkBytes: 2 ** ((header[3] as number) + 6),
  };
}

/** Unwraps the Literal Data packet from the decrypted stream (and checks that only Padding follows it). */
class LiteralReader {
  private readonly input = new ByteQueue();
  private packet: PacketBody | undefined;
  private readonly body = new ByteQueue();
  private headerRead = false;
  private literalDone = false;

  /** Takes decrypted bytes in; returns the literal data they complete. */
  read(bytes: Uint8Array): Uint8Array {
    this.input.push(bytes);
    const out = new ByteQueue();
    for (;;) {
      if (this.packet === undefined) {
        const header = takePacketHeader(this.input);
        if (header === undefined) break;
        this.packet = this.open(header);
      }
      this.packet.drainInto(this.body);
      if (!this.literalDone) {
        if (!this.headerRead) {
          // Format octet, file name (length-prefixed), 4-byte date: then the data.
          if (this.body.length < 2 || this.body.length < 6 + this.body.peek(1)) {
            if (this.packet.done) throw malformed('literal data packet too short');
            break;
          }
          if (this.body.peek(0) !== 0x62) throw new DecryptError('unsupported', 'only binary literal data is supported');
          this.body.take(6 + this.body.peek(1));
          this.headerRead = true;
        }
        if (this.body.length > 0) out.push(this.body.take(this.body.length));
        if (this.packet.done) this.literalDone = true;
      } else {
        this.body.take(this.body.length); // padding: read and dropped
      }
      if (!this.packet.done) break;
      this.packet = undefined;
    }
    return out.take(out.length);
  }

  private open(header: PacketHeader): PacketBody {
    if (!this.literalDone && header.tag !== TAG.literal) throw new DecryptError('unsupported', 'the encrypted data is not one literal data packet');
    if (this.literalDone && (header.tag !== TAG.padding || header.length.partial)) throw malformed('unexpected packet after the literal data');
    return new PacketBody(header, this.input);
  }

  /** Whether the stream ended where a packet ends, after the literal data. */
  get complete(): boolean {
    return this.literalDone && this.packet === undefined && this.input.length === 0;
  }
}

/** Starts an incremental decryption of a sealed message with `password` (the message key, §1). */
export function createDecryptor(password: string, options: DecryptOptions = {}): Decryptor {
  const secret = new TextEncoder().encode(password);
  const input = new ByteQueue();
  const skesks: Skesk[] = [];
  /** The SEIPD packet's body, once its header has been read; `seipd` once the key is known. */
  let body: PacketBody | undefined;
  const ciphertext = new ByteQueue();
  let seipd: Seipd | undefined;
  let chunkIndex = 0;
  let plaintextBytes = 0;
  let ciphertextBytes = 0;
  let emitted = 0;
  const literal = new LiteralReader();
  let failed: unknown;
  let pending: Promise<unknown> = Promise.resolve();

  /** Reads packets until the SEIPD body starts: the SKESKs, then the SEIPD header and key. */
  async function readHeaders(): Promise<boolean> {
    while (body === undefined) {
      const first = input.length > 0 ? input.peek(0) & 0x3f : undefined;
      if (first === TAG.skesk) {
        const length = input.length > 1 ? input.peek(1) : 0;
        // An SKESK is short: it always has a one-octet length in sealpost's subset.
        if (length >= 192) throw malformed('SKESK packet too long');
        if (input.length < 2 + length) return false;
      }
      const header = takePacketHeader(input);
      if (header === undefined) return false;
      if (header.tag === TAG.skesk) {
        if (skesks.length >= MAX_SKESKS) throw malformed('too many SKESK packets');
        skesks.push(parseSkesk(input.take(header.length.bytes)));
      } else if (header.tag === TAG.seipd) {
        if (skesks.length === 0) throw malformed('no SKESK packet before the encrypted data');
        body = new PacketBody(header, input);
      } else {
        throw new DecryptError('unsupported', `packet type ${header.tag} is not part of a sealed message`);
      }
    }
    body.drainInto(ciphertext);
    if (seipd !== undefined) return true;
    if (ciphertext.length < 36) {
      if (body.done) throw new DecryptError('truncated', 'encrypted data packet too short');
      return false;
    }
    const header = ciphertext.take(36);
    if (header[0] !== 2) throw new DecryptError('unsupported', 'only v2 SEIPD packets are supported');
    if (header[1] !== AES256 || header[2] !== GCM) throw new DecryptError('unsupported', 'only AES-256 with GCM is supported');
    if ((header[3] as number) > MAX_CHUNK_SIZE_OCTET || (header[3] as number) < MIN_CHUNK_SIZE_OCTET) throw malformed('chunk size out of range');
    // One SKESK after another, the first that opens wins: a bounded, deterministic amount of work.
    let sessionKey: Uint8Array | undefined;
    for (const skesk of skesks) {
      sessionKey = await openSkesk(skesk, secret).catch(() => undefined);
      if (sessionKey !== undefined) break;
    }
    if (sessionKey === undefined) throw new DecryptError('wrong-password', 'no SKESK packet opens with this password');
    if (sessionKey.length !== KEY_BYTES) throw malformed('session key has the wrong size');
    seipd = await seipdCipher(header, sessionKey);
    return true;
  }

  /** Decrypts the chunks that are complete; at the end, the last one and the final tag. */
  async function decryptChunks(end: boolean): Promise<Uint8Array> {
    const cipher = seipd as Seipd;
    const full = cipher.chunkBytes + TAG_BYTES;
    const sealed: Uint8Array[] = [];
    // Keep the last 16 bytes back until the end: they may be the final tag.
    while (ciphertext.length >= full + TAG_BYTES) sealed.push(ciphertext.take(full));
    if (end) {
      if (ciphertext.length < TAG_BYTES || (ciphertext.length > TAG_BYTES && ciphertext.length < 2 * TAG_BYTES)) throw new DecryptError('truncated', 'the encrypted data ends inside a chunk');
      if (ciphertext.length > TAG_BYTES || chunkIndex + sealed.length === 0) {
        if (ciphertext.length < 2 * TAG_BYTES) throw new DecryptError('truncated', 'the encrypted data has no chunk');
        sealed.push(ciphertext.take(ciphertext.length - TAG_BYTES));
      }
    }
    // All of this push's chunks at once: WebCrypto may run them in parallel; they come back in order.
    const first = chunkIndex;
    chunkIndex += sealed.length;
    const opened = await Promise.all(sealed.map((chunk, i) => gcmOpen(cipher.key, cipher.nonce(first + i), chunk, cipher.adata)))
      .catch(() => { throw new DecryptError('tampered', 'a chunk failed its authentication tag'); });
    const out = new ByteQueue();
    for (const plain of opened) {
      plaintextBytes += plain.length;
      out.push(literal.read(plain));
    }
    if (end) {
      const finalData = new Uint8Array(cipher.adata.length + 8);
      finalData.set(cipher.adata);
      new DataView(finalData.buffer).setBigUint64(cipher.adata.length, BigInt(plaintextBytes));
      await gcmOpen(cipher.key, cipher.nonce(chunkIndex), ciphertext.take(TAG_BYTES), finalData)
        .catch(() => { throw new DecryptError('tampered', 'the final authentication tag does not match (cut short or changed)'); });
      if (!literal.complete) throw malformed('the literal data packet is incomplete');
    }
    return out.take(out.length);
  }

  async function step(bytes: Uint8Array | undefined): Promise<Uint8Array> {
    if (failed !== undefined) throw failed;
    try {
      const end = bytes === undefined;
      if (bytes !== undefined) {
        ciphertextBytes += bytes.length;
        input.push(bytes);
      }
      if (!(await readHeaders())) {
        if (end) throw new DecryptError('truncated', 'the message ends before its encrypted data');
        return new Uint8Array();
      }
      if (body?.done && input.length > 0) throw malformed('data after the encrypted data packet');
      if (end && !body?.done) throw new DecryptError('truncated', 'the encrypted data packet is cut short');
      const plaintext = await decryptChunks(end);
      emitted += plaintext.length;
      options.onProgress?.({ ciphertextBytes, plaintextBytes: emitted });
      return plaintext;
    } catch (error) {
      failed = error instanceof DecryptError ? error : malformed('the message could not be read');
      throw failed;
    }
  }

  // Calls run one after another, in the order they were made, whether or not the caller awaits each.
  const serial = (bytes: Uint8Array | undefined): Promise<Uint8Array> => {
    const result = pending.then(() => step(bytes));
    pending = result.catch(() => undefined);
    return result;
  };
  return { push: (bytes) => serial(bytes), finish: () => serial(undefined) };
}

/** Decrypts a whole sealed message with `password` (the message key, §1). Rejects with a DecryptError. */
export async function decrypt(ciphertext: Uint8Array, password: string): Promise<Uint8Array> {
  const decryptor = createDecryptor(password);
  const head = await decryptor.push(ciphertext);
  const tail = await decryptor.finish();
  if (tail.length === 0) return head;
  const all = new Uint8Array(head.length + tail.length);
  all.set(head);
  all.set(tail, head.length);
  return all;
}

/** Decrypts a sealed message that arrives as `pieces`, yielding the plaintext as it is authenticated (see Decryptor). */
export async function* decryptStream(pieces: AsyncIterable<Uint8Array>, password: string, options: DecryptOptions = {}): AsyncGenerator<Uint8Array> {
  const decryptor = createDecryptor(password, options);
  for await (const piece of pieces) yield await decryptor.push(piece);
  yield await decryptor.finish();
}
