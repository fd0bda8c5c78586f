/**
 * Decrypting a sealed message with WebCrypto alone: the fixed subset of RFC 9580 that sealpost seals
 * (docs/protocol.md §3) — v6 SKESK packets (AES-256, GCM; S2K simple, salted or iterated-and-salted
 * with SHA-256), then one v2 SEIPD packet (AES-256, GCM) holding one binary Literal Data packet
 * (Padding packets may follow it). Anything else is refused as unsupported: the algorithms come
 * from the packets, as RFC 9580 requires, and only these are accepted. The server and the SDK seal
 * with the subset's own sealer (openpgp-seal.ts); this is what the browser opens with (so the page
 * carries no OpenPGP library), and it reads a message as it arrives.
 *
 * Streaming: ciphertext goes in piece by piece (`push`), and each AEAD chunk (256 KiB) comes out as
 * soon as its tag is verified. Only `finish` proves the message whole — its final tag covers the
 * total length, so a message cut at a chunk boundary is refused there and nowhere earlier. Chunks
 * swapped or moved fail their tag (the nonce holds the chunk's index); any changed bit fails a tag,
 * or the framing, or names an algorithm outside the subset.
 */
import { concatBytes } from '../shared/index.ts';
import { ByteQueue, DecryptError, PacketBody, malformed, takePacketHeader, type PacketHeader } from './openpgp-packets.ts';
import { AES256, OPEN_CHUNKS_IN_FLIGHT, GCM, KEY_BYTES, MAX_SKESKS, TAG, TAG_BYTES, gcmOpen, inFlight, openSkesk, parseSkesk, seipdCipher, type Seipd, type Skesk } from './openpgp-keys.ts';

export { DecryptError } from './openpgp-packets.ts';

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
  /**
   * Takes the plaintext piece by piece (each an AEAD chunk's, as soon as its tag is verified, in
   * order), instead of `push` and `finish` resolving to it joined: they then resolve to empty arrays,
   * and a push that completes many chunks costs no copy of them. A piece is a view of a buffer the
   * decryptor does not touch again. Provisional until `finish` resolves, as ever; if this throws,
   * the decryption fails.
   */
  readonly onPlaintext?: (piece: Uint8Array) => void;
}

/** An incremental decryption: feed it the ciphertext in order, then finish it. */
export interface Decryptor {
  /**
   * Takes the next ciphertext bytes in; resolves to the plaintext they completed (possibly empty).
   * That plaintext is authenticated chunk by chunk, but the message is whole only when `finish`
   * resolves: treat it as provisional until then. Rejects with a DecryptError (and so does every
   * later call) on anything wrong. `bytes` must not change until the promise settles: they are
   * read as they are, not copied (a change makes a chunk fail its tag).
   */
  push(bytes: Uint8Array): Promise<Uint8Array>;
  /** No more ciphertext: checks the final tag and that nothing is missing; resolves to the last plaintext. */
  finish(): Promise<Uint8Array>;
}

/** Unwraps the Literal Data packet from the decrypted stream (and checks that only Padding follows it). */
class LiteralReader {
  private readonly input = new ByteQueue();
  private packet: PacketBody | undefined;
  private readonly body = new ByteQueue();
  private headerRead = false;
  private literalDone = false;

  /** Takes decrypted bytes in; returns the literal data they complete, as the pieces it lies in (not copied together). */
  read(bytes: Uint8Array): Uint8Array[] {
    this.input.push(bytes);
    const out: Uint8Array[] = [];
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
    return out;
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
    secret.fill(0); // the password has done its work, whichever way it went
    if (sessionKey === undefined) throw new DecryptError('wrong-password', 'no SKESK packet opens with this password');
    if (sessionKey.length !== KEY_BYTES) throw malformed('session key has the wrong size');
    seipd = await seipdCipher(header, sessionKey);
    // WebCrypto holds the message key now (a CryptoKey): the bytes it came from are no longer needed.
    sessionKey.fill(0);
    seipd.keyBytes.fill(0);
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
    // A few of this push's chunks at a time (OPEN_CHUNKS_IN_FLIGHT): WebCrypto runs them in parallel; they come back in order.
    const first = chunkIndex;
    chunkIndex += sealed.length;
    const opened = await inFlight(sealed, OPEN_CHUNKS_IN_FLIGHT, (chunk, i) => gcmOpen(cipher.key, cipher.nonce(first + i), chunk, cipher.adata))
      .catch(() => { throw new DecryptError('tampered', 'a chunk failed its authentication tag'); });
    const out = new ByteQueue();
    for (const plain of opened) {
      plaintextBytes += plain.length;
      for (const piece of literal.read(plain)) {
        emitted += piece.length;
        if (options.onPlaintext === undefined) out.push(piece);
        else if (piece.length > 0) options.onPlaintext(piece);
      }
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
  // The plaintext's pieces as they are authenticated, copied together once at the end.
  const pieces: Uint8Array[] = [];
  const decryptor = createDecryptor(password, { onPlaintext: (piece) => { pieces.push(piece); } });
  await decryptor.push(ciphertext);
  await decryptor.finish();
  return pieces.length === 1 ? pieces[0] as Uint8Array : concatBytes(pieces);
}

/** Decrypts a sealed message that arrives as `pieces`, yielding the plaintext as it is authenticated (see Decryptor). */
export async function* decryptStream(pieces: AsyncIterable<Uint8Array>, password: string, options: DecryptOptions = {}): AsyncGenerator<Uint8Array> {
  const decryptor = createDecryptor(password, options);
  for await (const piece of pieces) yield await decryptor.push(piece);
  yield await decryptor.finish();
}
