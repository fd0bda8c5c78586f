/**
 * OpenPGP packet framing (RFC 9580 §4), read incrementally: a byte queue that input is appended to
 * as it arrives, packet headers in the OpenPGP (new) format, and packet bodies whose length comes
 * in one piece or in partial lengths (§4.2.1.4), which streamed data packets use. Only what the
 * sealpost subset needs (openpgp-subset.ts): the legacy header format is refused.
 */

/** Raised for anything that is not a well-formed message of the sealpost subset, or does not decrypt. */
export class DecryptError extends Error {
  override readonly name = 'DecryptError';
  constructor(
    /** Why, in a word (never anything secret): for tests and logs. */
    readonly reason: 'malformed' | 'unsupported' | 'wrong-password' | 'tampered' | 'truncated',
    message: string,
  ) {
    super(message);
  }
}

export const malformed = (message: string): DecryptError => new DecryptError('malformed', message);

/** Bytes appended as they arrive, read from the front; a read within one appended piece is a view, not a copy. */
export class ByteQueue {
  private pieces: Uint8Array[] = [];
  private offset = 0;
  length = 0;

  push(bytes: Uint8Array): void {
    if (bytes.length === 0) return;
    this.pieces.push(bytes);
    this.length += bytes.length;
  }

  /** The byte at `index` from the front (which must exist). */
  peek(index: number): number {
    let i = index + this.offset;
    for (const piece of this.pieces) {
      if (i < piece.length) return piece[i] as number;
      i -= piece.length;
    }
    throw new RangeError('peek past the end');
  }

  /**
   * Removes and returns the first `n` bytes (which must be there): a view when they lie side by side
   * in one buffer (one piece, or pieces cut from one buffer: a message opened whole), else a copy.
   */
  take(n: number): Uint8Array {
    if (n > this.length) throw new RangeError('take past the end');
    this.length -= n;
    const first = this.pieces[0];
    if (first !== undefined && this.adjacent(first, n)) {
      const view = new Uint8Array(first.buffer, first.byteOffset + this.offset, n);
      this.advance(n);
      return view;
    }
    const out = new Uint8Array(n);
    let filled = 0;
    while (filled < n) {
      const piece = this.pieces[0] as Uint8Array;
      const part = piece.subarray(this.offset, this.offset + Math.min(n - filled, piece.length - this.offset));
      out.set(part, filled);
      filled += part.length;
      this.advance(part.length);
    }
    return out;
  }

  /** Whether the first `n` bytes, from `first` on, are one run of one buffer. */
  private adjacent(first: Uint8Array, n: number): boolean {
    let covered = first.length - this.offset;
    let end = first.byteOffset + first.length;
    for (let i = 1; covered < n; i++) {
      const piece = this.pieces[i] as Uint8Array;
      if (piece.buffer !== first.buffer || piece.byteOffset !== end) return false;
      covered += piece.length;
      end += piece.length;
    }
    return true;
  }

  private advance(n: number): void {
    this.offset += n;
    while (this.pieces.length > 0 && this.offset >= (this.pieces[0] as Uint8Array).length) {
      this.offset -= (this.pieces.shift() as Uint8Array).length;
    }
  }
}

/** A body length: `partial` when more length headers follow this part (§4.2.1.4). */
interface Length { readonly bytes: number; readonly partial: boolean; readonly headerBytes: number }

/** The length header at `at` in `queue`, or undefined while not all of it has arrived. */
function readLength(queue: ByteQueue, at: number): Length | undefined {
  if (queue.length <= at) return undefined;
  const first = queue.peek(at);
  if (first < 192) return { bytes: first, partial: false, headerBytes: 1 };
  if (first < 224) {
    if (queue.length <= at + 1) return undefined;
    return { bytes: ((first - 192) << 8) + queue.peek(at + 1) + 192, partial: false, headerBytes: 2 };
  }
  if (first < 255) return { bytes: 1 << (first & 0x1f), partial: true, headerBytes: 1 };
  if (queue.length <= at + 4) return undefined;
  const bytes = ((queue.peek(at + 1) << 24) >>> 0) + (queue.peek(at + 2) << 16) + (queue.peek(at + 3) << 8) + queue.peek(at + 4);
  return { bytes, partial: false, headerBytes: 5 };
}

/** A packet's tag and the length of its first (or only) body part. */
export interface PacketHeader { readonly tag: number; readonly length: Length }

/** Takes the next packet header off `queue`; undefined (nothing taken) while it has not all arrived. */
export function takePacketHeader(queue: ByteQueue): PacketHeader | undefined {
  if (queue.length === 0) return undefined;
  const first = queue.peek(0);
  // Bit 7 is always set; bit 6 marks the OpenPGP format, the only one RFC 9580 lets v6 and v2 packets use.
  if ((first & 0xc0) !== 0xc0) throw malformed('not an OpenPGP packet header in the OpenPGP format');
  const length = readLength(queue, 1);
  if (length === undefined) return undefined;
  queue.take(1 + length.headerBytes);
  return { tag: first & 0x3f, length };
}

/**
 * The body of one packet, taken from the queue it arrives in as far as it has arrived: across
 * partial-length parts, whose headers it strips. `done` once the last part is complete.
 */
export class PacketBody {
  private left: number;
  private partial: boolean;
  /** Body bytes seen so far. */
  total = 0;

  constructor(header: PacketHeader, private readonly source: ByteQueue) {
    this.left = header.length.bytes;
    this.partial = header.length.partial;
  }

  get done(): boolean {
    return this.left === 0 && !this.partial;
  }

  /** Moves every body byte available in the source to `sink`. */
  drainInto(sink: ByteQueue): void {
    for (;;) {
      if (this.left === 0) {
        if (!this.partial) return;
        const next = readLength(this.source, 0);
        if (next === undefined) return;
        this.source.take(next.headerBytes);
        this.left = next.bytes;
        this.partial = next.partial;
        continue;
      }
      const n = Math.min(this.left, this.source.length);
      if (n === 0) return;
      sink.push(this.source.take(n));
      this.left -= n;
      this.total += n;
    }
  }
}
