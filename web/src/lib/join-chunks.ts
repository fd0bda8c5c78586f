/**
 * What postal-mime's content decoders do at the end of each part, without a Blob: they collect the
 * part's bytes in pieces and join them as `new Blob(pieces).arrayBuffer()`. In Chromium a Blob is
 * held by the browser process, so every part of every message made two trips there and back —
 * 4–13 ms of a parse measured in headless Chromium, on the path from a message decrypted to it on
 * screen. web/build.ts puts this in their place in the pickup page's bundle; it joins the same
 * pieces in memory to the same bytes (a Blob's: a string as UTF-8, a view as its bytes, a buffer
 * whole; test/web/build-trim.test.ts holds the two to the same output).
 */
import { concatBytes } from '../../../functions/core/shared/index.ts';

export type Piece = string | ArrayBuffer | ArrayBufferView;

let encoder: TextEncoder | undefined;

export function joinPieces(pieces: readonly Piece[]): Uint8Array<ArrayBuffer> {
  return concatBytes(pieces.map((piece) => typeof piece === 'string' ? (encoder ??= new TextEncoder()).encode(piece)
    : ArrayBuffer.isView(piece) ? new Uint8Array(piece.buffer, piece.byteOffset, piece.byteLength)
    : new Uint8Array(piece)));
}

/** `blobToArrayBuffer(new Blob(pieces, …))` as postal-mime's decoders write it, answered from memory. */
export const piecesToArrayBuffer = async (pieces: readonly Piece[]): Promise<ArrayBuffer> => joinPieces(pieces).buffer;
