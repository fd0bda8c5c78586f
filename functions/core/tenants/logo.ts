/**
 * Logo uploads: a PNG or an SVG of at most 100 KB, checked before it is stored and served from our
 * own origin. An SVG is a document that can carry script and fetch other resources, so it passes a
 * strict allow-list (core/logo-svg.ts) and is rejected, not cleaned: rejection is easy to reason
 * about, and the uploader learns exactly what to remove. A PNG is checked chunk by chunk (signature,
 * header, CRCs) and loses its text and metadata chunks, which often carry author names and paths.
 * Pure: no Node-only API beyond TextDecoder and Uint8Array.
 */
import { ValidationError } from '../shared/index.ts';
import { sanitizeSvg, SvgRejected } from './logo-svg.ts';

export const MAX_LOGO_BYTES = 100 * 1024;
/** Larger images only cost recipients' bandwidth and decoding time; a logo is shown at 40–64 px. */
export const MAX_LOGO_DIMENSION = 4096;

export type LogoContentType = 'image/png' | 'image/svg+xml';

export interface ValidLogo {
  readonly contentType: LogoContentType;
  /** The bytes to store and serve: a PNG without its metadata chunks, an SVG re-serialised. */
  readonly bytes: Uint8Array;
}

function reject(message: string): never {
  throw new ValidationError(`brand/logo: ${message}`, [{ field: 'brand/logo', message }]);
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/**
 * Checks a logo and returns what may be stored. Throws ValidationError (field "brand/logo") with a
 * message that says what to change.
 */
export function validateLogo(bytes: Uint8Array, contentType: string): ValidLogo {
  const type = contentType.split(';')[0]!.trim().toLowerCase();
  if (type !== 'image/png' && type !== 'image/svg+xml') reject(`must be image/png or image/svg+xml, not ${JSON.stringify(type.slice(0, 60))}`);
  if (bytes.length === 0) reject('is empty');
  if (bytes.length > MAX_LOGO_BYTES) reject(`is ${bytes.length} bytes; the limit is ${MAX_LOGO_BYTES} bytes (100 KB)`);
  const looksPng = PNG_SIGNATURE.every((b, i) => bytes[i] === b);
  if (type === 'image/png') return { contentType: type, bytes: validatePng(bytes) };
  if (looksPng) reject('is a PNG file but was declared as image/svg+xml');
  try {
    return { contentType: type, bytes: sanitizeSvg(bytes) };
  } catch (error) {
    if (error instanceof SvgRejected) reject(`is not an acceptable SVG: ${error.message}`);
    throw error;
  }
}

// --- PNG (https://www.w3.org/TR/png-3/) ---

/** Ancillary chunks worth keeping: they change how the image looks. Everything else ancillary is dropped. */
const KEPT_ANCILLARY = /* @__PURE__ */ new Set(['tRNS', 'gAMA', 'cHRM', 'sRGB', 'iCCP', 'sBIT', 'pHYs', 'bKGD', 'cICP']);
/** Allowed bit depths per colour type. */
const BIT_DEPTHS: Record<number, readonly number[]> = { 0: [1, 2, 4, 8, 16], 2: [8, 16], 3: [1, 2, 4, 8], 4: [8, 16], 6: [8, 16] };

let crcTable: Uint32Array | undefined;
function crc32(data: Uint8Array, start: number, end: number): number {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let crc = 0xffffffff;
  for (let i = start; i < end; i++) crc = crcTable[(crc ^ data[i]!) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

function validatePng(bytes: Uint8Array): Uint8Array {
  if (!PNG_SIGNATURE.every((b, i) => bytes[i] === b)) reject('is not a PNG file (the PNG signature is missing)');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const kept: [number, number][] = [];
  let offset = PNG_SIGNATURE.length;
  let index = 0;
  let colorType = -1;
  let sawPalette = false;
  let sawData = false;
  let dataEnded = false;
  for (;;) {
    if (offset + 12 > bytes.length) reject('is a truncated PNG file (it ends before its IEND chunk)');
    const length = view.getUint32(offset);
    const typeBytes = bytes.subarray(offset + 4, offset + 8);
    const type = String.fromCharCode(...typeBytes);
    if (!/^[A-Za-z]{4}$/.test(type)) reject('is a damaged PNG file (invalid chunk type)');
    const end = offset + 12 + length;
    if (length > 0x7fffffff || end > bytes.length) reject('is a truncated PNG file');
    if (crc32(bytes, offset + 4, end - 4) !== view.getUint32(end - 4)) reject(`is a damaged PNG file (checksum error in its ${type} chunk)`);
    const data = offset + 8;
    if (index === 0) {
      if (type !== 'IHDR' || length !== 13) reject('is a damaged PNG file (it does not start with an IHDR header)');
      const width = view.getUint32(data);
      const height = view.getUint32(data + 4);
      const bitDepth = bytes[data + 8]!;
      colorType = bytes[data + 9]!;
      if (width === 0 || height === 0) reject('is a PNG with zero width or height');
      if (width > MAX_LOGO_DIMENSION || height > MAX_LOGO_DIMENSION) {
        reject(`is ${width}×${height} pixels; the limit is ${MAX_LOGO_DIMENSION}×${MAX_LOGO_DIMENSION}`);
      }
      if (!BIT_DEPTHS[colorType]?.includes(bitDepth)) reject('is a damaged PNG file (invalid colour type or bit depth)');
      if (bytes[data + 10] !== 0 || bytes[data + 11] !== 0 || bytes[data + 12]! > 1) reject('is a damaged PNG file (invalid compression, filter or interlace method)');
    } else if (type === 'IHDR') {
      reject('is a damaged PNG file (more than one IHDR chunk)');
    }
    if (type === 'PLTE') sawPalette = true;
    if (type === 'IDAT') {
      if (dataEnded) reject('is a damaged PNG file (its image data is not contiguous)');
      if (colorType === 3 && !sawPalette) reject('is a damaged PNG file (palette image without a palette)');
      sawData = true;
    } else if (sawData) {
      dataEnded = true;
    }
    const critical = type.charCodeAt(0) < 0x61; // upper-case first letter: a decoder must understand it
    if (critical && !['IHDR', 'PLTE', 'IDAT', 'IEND'].includes(type)) reject(`is a PNG with an unsupported critical chunk (${type})`);
    if (critical || KEPT_ANCILLARY.has(type)) kept.push([offset, end]);
    offset = end;
    index++;
    if (type === 'IEND') break;
  }
  if (!sawData) reject('is a PNG file without image data');
  if (offset !== bytes.length) reject('is a PNG file with data after its end (IEND)');
  const out = new Uint8Array(PNG_SIGNATURE.length + kept.reduce((n, [s, e]) => n + e - s, 0));
  out.set(PNG_SIGNATURE, 0);
  let at = PNG_SIGNATURE.length;
  for (const [s, e] of kept) {
    out.set(bytes.subarray(s, e), at);
    at += e - s;
  }
  return out;
}
