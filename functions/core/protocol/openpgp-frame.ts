/**
 * The shape of a sealed message, checked without decrypting it: what the server verifies of a
 * sealed upload before it commits (docs/protocol.md §3, §21). Streaming and bounded: bytes are pushed
 * as they arrive, only the session-key packets are kept (a few hundred bytes each), and the
 * encrypted data is only walked through its length headers.
 *
 * The one shape sealpost writes and accepts (RFC 9580, new-format packet headers only):
 *   SKESK v6 (tag 3), AES-256, GCM,     — one or more, nothing between them, each exactly the 76
 *     iterated and salted S2K with        bytes sealpost's sealer writes (docs/protocol.md §3)
 *     SHA-256 and count byte 0
 *   SEIPD v2 (tag 18), AES-256, GCM     — exactly one, last, its body in partial lengths or one
 *                                         definite length, and nothing after it
 *
 * The S2K is pinned because it is the uploader's to choose and the server's to pay for: an Argon2
 * S2K with gigabytes of memory, or an iterated one with the largest count, in every SKESK would
 * make each unlock at completion cost seconds or fail the function. Only the one form sealpost
 * writes (1,024 octets hashed) passes, before any password is tried.
 */
import { concatBytes } from '../shared/index.ts';

/** What the shape checker found: the session-key packets as they are (for the caller to test a password on). */
export interface SealedShape {
  /** The SKESK packets, headers included, concatenated in order: itself an OpenPGP message of only session keys. */
  readonly sessionKeyPackets: Uint8Array;
  /** The same SKESK packets one by one, in order: each alone is an OpenPGP message a single password is tried on. */
  readonly sessionKeyPacketList: readonly Uint8Array[];
  readonly sessionKeys: number;
  /** The SEIPD's AEAD chunk size octet (chunks of 2^(c+6) bytes). */
  readonly chunkSizeOctet: number;
  readonly bytes: number;
}

/** The bytes are not a sealed message of sealpost's shape; the message says why (never any content). */
export class ShapeError extends Error {
  override readonly name = 'ShapeError';
}

const TAG_SKESK = 3;
const TAG_SEIPD = 18;
const AES_256 = 9;
const GCM = 3;
/** A SKESK v6 with a salted S2K is under 100 bytes; anything much larger is not even buffered. */
const MAX_SKESK_BYTES = 512;
/**
 * The body of a SKESK exactly as sealpost's sealer writes it (RFC 9580 §5.3.2, §3.7.1.3): version 6,
 * 26 octets of the five fields that follow, AES-256, GCM, an S2K specifier of 11 octets (type 3
 * iterated and salted, hash SHA-256, 8-octet salt, count byte 0), a 12-octet GCM nonce, then the
 * 32-octet session key encrypted and its 16-octet tag.
 */
const SKESK_VERSION = 6;
const SKESK_FIELDS_OCTETS = 26;
const S2K_BYTES = 11;
const S2K_ITERATED_SALTED = 3;
const SHA_256 = 8;
/** The largest iteration count byte accepted: the one sealpost writes, the smallest there is (1,024 octets hashed). */
const MAX_S2K_COUNT_BYTE = 0;
const SKESK_BODY_BYTES = 1 + 1 + 1 + 1 + 1 + S2K_BYTES + 12 + 32 + 16;
/** RFC 9580 §5.13.2: a chunk size octet above 16 is refused; below 10 (64 KiB chunks) too, as the page's decryptor does (sealpost writes 12). */
const MIN_CHUNK_SIZE_OCTET = 10;
const MAX_CHUNK_SIZE_OCTET = 16;

type Length = { readonly length: number; readonly partial: boolean; readonly size: number };

/** A new-format packet length at `at` (RFC 9580 §4.2.1), or undefined when more bytes are needed. */
function readLength(bytes: Uint8Array, at: number): Length | undefined {
  const first = bytes[at];
  if (first === undefined) return undefined;
  if (first < 192) return { length: first, partial: false, size: 1 };
  if (first < 224) {
    const second = bytes[at + 1];
    return second === undefined ? undefined : { length: ((first - 192) << 8) + second + 192, partial: false, size: 2 };
  }
  if (first === 255) {
    if (at + 5 > bytes.length) return undefined;
    const length = ((bytes[at + 1]! << 24) | (bytes[at + 2]! << 16) | (bytes[at + 3]! << 8) | bytes[at + 4]!) >>> 0;
    return { length, partial: false, size: 5 };
  }
  return { length: 1 << (first & 0x1f), partial: true, size: 1 };
}

/** Feeds the bytes of a sealed message in any chunking; `finish()` says whether they had the shape. */
export class SealedShapeReader {
  private pending = new Uint8Array(0);
  private readonly skesks: Uint8Array[] = [];
  private state: 'packet' | 'seipd-header' | 'seipd-body' | 'seipd-length' | 'done' = 'packet';
  /** Bytes left of the current part of the SEIPD body. */
  private left = 0;
  private lastPart = false;
  private firstPart = true;
  private chunkSizeOctet = -1;
  private total = 0;
  private readonly maxSessionKeys: number;

  /** `maxSessionKeys`: more SKESKs than this are refused as they arrive (memory stays bounded whatever the upload holds). */
  constructor(options: { readonly maxSessionKeys?: number } = {}) {
    this.maxSessionKeys = options.maxSessionKeys ?? Number.POSITIVE_INFINITY;
  }

  push(chunk: Uint8Array): void {
    this.total += chunk.length;
    const bytes = this.pending.length > 0 ? concatBytes([this.pending, chunk]) : chunk;
    let at = 0;
    while (at < bytes.length) {
      if (this.state === 'seipd-body') {
        const take = Math.min(this.left, bytes.length - at);
        this.left -= take;
        at += take;
        if (this.left === 0) this.state = this.lastPart ? 'done' : 'seipd-length';
        continue;
      }
      if (this.state === 'done') throw new ShapeError('there are bytes after the encrypted data packet');
      if (this.state === 'seipd-length') {
        const length = readLength(bytes, at);
        if (!length) break;
        at += length.size;
        this.startPart(length);
        continue;
      }
      if (this.state === 'seipd-header') {
        // The version, cipher, AEAD and chunk size octets open the body; they stay part of its length.
        if (bytes.length - at < 4) break;
        const [version, cipher, aead, chunkSize] = [bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]] as number[];
        if (version !== 2 || cipher !== AES_256 || aead !== GCM) throw new ShapeError('the encrypted data packet is not SEIPD v2 with AES-256 and GCM');
        if (chunkSize! > MAX_CHUNK_SIZE_OCTET) throw new ShapeError('the encrypted data packet has a chunk size above what RFC 9580 allows');
        if (chunkSize! < MIN_CHUNK_SIZE_OCTET) throw new ShapeError(`the encrypted data packet has chunks of ${2 ** (chunkSize! + 6)} bytes; sealpost reads chunks of 64 KiB or more`);
        this.chunkSizeOctet = chunkSize!;
        this.state = 'seipd-body';
        continue;
      }
      // A packet header: new format only.
      const tagOctet = bytes[at]!;
      if ((tagOctet & 0xc0) !== 0xc0) throw new ShapeError('a packet has a legacy or invalid header');
      const tag = tagOctet & 0x3f;
      const length = readLength(bytes, at + 1);
      if (!length) break;
      if (tag === TAG_SKESK) {
        if (length.partial || length.length > MAX_SKESK_BYTES) throw new ShapeError('a session key packet is not one of sealpost\'s');
        const end = at + 1 + length.size + length.length;
        if (end > bytes.length) break;
        const packet = bytes.slice(at, end);
        checkSkesk(packet.subarray(1 + length.size));
        if (this.skesks.length >= this.maxSessionKeys) throw new ShapeError(`there are more than ${this.maxSessionKeys} session key packets`);
        this.skesks.push(packet);
        at = end;
        continue;
      }
      if (tag === TAG_SEIPD) {
        if (this.skesks.length === 0) throw new ShapeError('the encrypted data comes before any session key packet');
        at += 1 + length.size;
        this.startPart(length);
        this.state = 'seipd-header';
        continue;
      }
      throw new ShapeError(`a packet of type ${tag} has no place in a sealed message`);
    }
    this.pending = at < bytes.length ? bytes.slice(at) : new Uint8Array(0);
  }

  private startPart(length: Length): void {
    if (length.partial && this.firstPart && length.length < 512) throw new ShapeError('the first partial length of the encrypted data is under 512 bytes');
    this.firstPart = false;
    this.left = length.length;
    this.lastPart = !length.partial;
    if (this.state !== 'packet') this.state = length.length === 0 ? (this.lastPart ? 'done' : 'seipd-length') : 'seipd-body';
  }

  /** The shape, when the bytes ended exactly at the end of the encrypted data; ShapeError otherwise. */
  finish(): SealedShape {
    if (this.state !== 'done' || this.pending.length > 0) throw new ShapeError('the sealed message is cut short');
    return { sessionKeyPackets: concatBytes(this.skesks), sessionKeyPacketList: [...this.skesks], sessionKeys: this.skesks.length, chunkSizeOctet: this.chunkSizeOctet, bytes: this.total };
  }
}

/**
 * Refuses a SKESK body that is not byte for byte the form sealpost writes (only its salt, nonce and
 * encrypted key vary). The messages name numbers only, never content.
 */
function checkSkesk(body: Uint8Array): void {
  if (body[0] !== SKESK_VERSION || body[2] !== AES_256 || body[3] !== GCM) throw new ShapeError('a session key packet is not SKESK v6 with AES-256 and GCM');
  const [s2kLength, s2kType, hash, count] = [body[4], body[5], body[6], body[7 + 8]];
  if (s2kLength !== S2K_BYTES || s2kType !== S2K_ITERATED_SALTED || hash !== SHA_256 || count === undefined || count > MAX_S2K_COUNT_BYTE) {
    throw new ShapeError(`a session key packet's string-to-key (type ${s2kType ?? 'none'}, ${s2kLength ?? 0} octets) is not the one sealpost writes: iterated and salted (type 3), SHA-256, count byte 0`);
  }
  if (body[1] !== SKESK_FIELDS_OCTETS) throw new ShapeError(`a session key packet counts ${body[1] ?? 0} octets of fields, not the ${SKESK_FIELDS_OCTETS} of sealpost's`);
  if (body.length !== SKESK_BODY_BYTES) throw new ShapeError(`a session key packet is ${body.length} bytes, not the ${SKESK_BODY_BYTES} of sealpost's`);
}


