/**
 * What postal-mime's content decoders do at the end of each part, without a Blob: they collect the
 * part's bytes in pieces and join them as `new Blob(pieces).arrayBuffer()`. In Chromium a Blob is
 * held by the browser process, so every part of every message made two trips there and back —
 * 4–13 ms of a parse measured in headless Chromium, on the path from a message decrypted to it on
 * screen. web/build.ts puts this in their place in the pickup page's bundle; it joins the same
 * pieces in memory to the same bytes (a Blob's: a string as UTF-8, a view as its bytes, a buffer
 * whole; test/web/build-trim.test.ts holds the two to the same output).
 */
export type Piece = string | ArrayBuffer | ArrayBufferView;

let encoder: TextEncoder | undefined;

/** Bytes of `text` in UTF-8, as TextEncoder writes it (a lone surrogate as U+FFFD, three bytes). */
function utf8Length(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x80) bytes += 1;
    else if (code < 0x800) bytes += 2;
    else if (code >= 0xd800 && code <= 0xdbff && i + 1 < text.length && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      bytes += 4;
      i++;
    } else bytes += 3;
  }
  return bytes;
}

const byteLength = (piece: Piece): number => typeof piece === 'string' ? utf8Length(piece) : piece.byteLength;

/**
 * The pieces joined into one new buffer of exactly their size: sized first, then each written
 * straight into it, with nothing made per piece (a part of 8-bit text comes as two pieces a line,
 * the line and "\n", so an attacker's message of empty lines is millions of them).
 */
export function joinPieces(pieces: readonly Piece[]): Uint8Array<ArrayBuffer> {
  let total = 0;
  for (const piece of pieces) total += byteLength(piece);
  const out = new Uint8Array(total);
  let at = 0;
  for (const piece of pieces) {
    if (typeof piece === 'string') {
      if (piece === '\n') out[at++] = 0x0a;
      else at += (encoder ??= new TextEncoder()).encodeInto(piece, out.subarray(at)).written;
    } else if (piece instanceof Uint8Array) {
      out.set(piece, at);
      at += piece.length;
    } else {
      const bytes = ArrayBuffer.isView(piece) ? new Uint8Array(piece.buffer, piece.byteOffset, piece.byteLength) : new Uint8Array(piece);
      out.set(bytes, at);
      at += bytes.length;
    }
  }
  return out;
}

/** `blobToArrayBuffer(new Blob(pieces, …))` as postal-mime's decoders write it, answered from memory. */
export const piecesToArrayBuffer = async (pieces: readonly Piece[]): Promise<ArrayBuffer> => joinPieces(pieces).buffer;
