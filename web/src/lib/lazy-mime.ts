/**
 * Parsing a decrypted message without decoding its attachments. postal-mime reads the message line
 * by line and base64-decodes every part, which for a message of a 25 MiB attachment is most of the
 * time between the decryption and the message on screen. So before postal-mime sees the message, one
 * pass over it finds the base64 bodies of the parts that can only be attachments (not text/*, not
 * multipart/*) and cuts each out, leaving in its place a random marker (base64 too); postal-mime
 * then parses this skeleton, with every rule it has (charsets, quoted-printable, nested multiparts,
 * RFC 2231/2047 names, message/* as attachments), and the attachment whose content is a marker gets
 * the cut body back, still encoded: its exact size is known (counted in the same pass), and its bytes
 * are decoded only when asked for (a download, an inline picture).
 *
 * The pass cuts only what cannot change the structure postal-mime reads: a body of nothing but
 * base64 characters and line breaks (no "-", so no delimiter line inside), ending at a line that is
 * a delimiter of an open multipart (postal-mime's own test, processLine) or at the end of the
 * message. Anything it does not fully understand (a header it would read otherwise, an odd
 * Content-Type) leaves the message whole, and so does a marker postal-mime did not return as
 * exactly one attachment: postal-mime then parses the original message, as before. The bytes
 * decoded later are the bytes postal-mime would have decoded (its Base64Decoder: "=" ends a unit,
 * a unit's lone last character is dropped).
 */
import PostalMime, { type Attachment, type Email } from 'postal-mime';
import { concatBytes } from '../../../functions/core/shared/index.ts';

export interface MessageAttachment extends Omit<Attachment, 'content' | 'encoding'> {
  /** The decoded size in bytes. */
  readonly size: number;
  /** The decoded bytes; a body kept encoded is decoded on each call. */
  bytes(): Uint8Array<ArrayBuffer>;
}

export interface Message extends Omit<Email, 'attachments'> {
  readonly attachments: readonly MessageAttachment[];
}

/** A base64 body kept encoded: where it is in the message, and its decoded size. */
export interface EncodedBody {
  readonly start: number;
  readonly end: number;
  readonly size: number;
}

const enum Kind { Other = 0, Alphabet = 1, Pad = 2, Break = 3 }
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const KIND = new Uint8Array(256);
const VALUE = new Uint8Array(256);
for (let i = 0; i < ALPHABET.length; i++) {
  KIND[ALPHABET.charCodeAt(i)] = Kind.Alphabet;
  VALUE[ALPHABET.charCodeAt(i)] = i;
}
KIND[0x3d] = Kind.Pad;
KIND[0x0d] = KIND[0x0a] = Kind.Break;

/** Bytes a base64 unit of `n` characters decodes to: 2 and 3 left over make 1 and 2, a lone 1 nothing. */
const unitBytes = (n: number): number => Math.floor(n / 4) * 3 + (n % 4 === 0 ? 0 : (n % 4) - 1);

/** pairs()' mark of a pair of bytes holding anything but base64 characters and line breaks. */
const SLOW = 255;
let pairTable: Uint8Array | undefined;
/**
 * For each pair of bytes, read as a 16-bit number in either byte order (the table is symmetric):
 * how many base64 characters it holds, when it holds nothing but those and line breaks; SLOW if
 * anything else is in it. Made on first use: 64 KiB.
 */
function pairs(): Uint8Array {
  if (pairTable) return pairTable;
  const table = new Uint8Array(65536).fill(SLOW);
  const plain: number[] = [];
  for (let byte = 0; byte < 256; byte++) if (KIND[byte] === Kind.Alphabet || KIND[byte] === Kind.Break) plain.push(byte);
  for (const a of plain) for (const b of plain) table[a | (b << 8)] = Number(KIND[a] === Kind.Alphabet) + Number(KIND[b] === Kind.Alphabet);
  return (pairTable = table);
}

/**
 * Reads base64 from `start` while the bytes are base64 characters, "=" or line breaks; where it
 * stopped, and the decoded size of what it read. Four bytes at a time (two lookups in pairs()) while
 * they hold only base64 characters and line breaks, which is nearly all of a body; a byte at a time
 * otherwise (a "=", where it stops, the few bytes before the first whole word).
 */
export function scanBase64(bytes: Uint8Array, start: number): { stop: number; size: number } {
  const table = pairs();
  const base = bytes.byteOffset;
  const end = bytes.length;
  // The whole 4-byte words of the buffer that lie within `bytes`.
  const firstWord = Math.ceil(base / 4);
  const wholeWords = Math.floor((base + end) / 4) - firstWord;
  const words = wholeWords > 0 ? new Uint32Array(bytes.buffer, firstWord * 4, wholeWords) : new Uint32Array(0);
  let size = 0;
  let unit = 0;
  let i = start;
  while (i < end) {
    if ((base + i) % 4 === 0) {
      let word = (base + i) / 4 - firstWord;
      for (; word < words.length; word++) {
        const bits = words[word] as number;
        const count = (table[bits & 0xffff] as number) + (table[bits >>> 16] as number);
        if (count >= SLOW) break;
        unit += count;
      }
      i = (word + firstWord) * 4 - base;
      if (i >= end) break;
    }
    const kind = KIND[bytes[i] as number] as Kind;
    if (kind === Kind.Alphabet) unit++;
    else if (kind === Kind.Pad) {
      size += unitBytes(unit);
      unit = 0;
    } else if (kind !== Kind.Break) break;
    i++;
  }
  return { stop: i, size: size + unitBytes(unit) };
}

/** Decodes a body `scanBase64` read whole (only base64 characters, "=" and line breaks) into `size` bytes. */
export function decodeBase64Body(encoded: Uint8Array, size: number): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(size);
  let at = 0;
  let bits = 0;
  let unit = 0;
  const flush = (): void => {
    if (unit === 2) out[at++] = bits >> 4;
    else if (unit === 3) {
      out[at++] = bits >> 10;
      out[at++] = (bits >> 2) & 255;
    }
    bits = unit = 0;
  };
  for (let i = 0; i < encoded.length; i++) {
    const byte = encoded[i] as number;
    const kind = KIND[byte];
    if (kind === Kind.Alphabet) {
      bits = (bits << 6) | (VALUE[byte] as number);
      if (++unit === 4) {
        out[at++] = bits >> 16;
        out[at++] = (bits >> 8) & 255;
        out[at++] = bits & 255;
        bits = unit = 0;
      }
    } else if (kind === Kind.Pad) flush();
  }
  flush();
  return out;
}

/** The header block at `start`: its unfolded lines (latin1), and where the body starts; undefined if it is odd. */
function readHeaders(bytes: Uint8Array, start: number): { lines: string[]; body: number } | undefined {
  const lines: string[] = [];
  let at = start;
  while (at < bytes.length) {
    const newline = bytes.indexOf(0x0a, at);
    const next = newline < 0 ? bytes.length : newline + 1;
    let end = next;
    while (end > at && (bytes[end - 1] === 0x0a || bytes[end - 1] === 0x0d)) end--;
    // postal-mime's empty line: nothing but line break characters.
    if (end === at) return { lines, body: next };
    if (end - at > 16_384 || lines.length > 1000) return undefined;
    let line = '';
    for (let i = at; i < end; i++) line += String.fromCharCode(bytes[i] as number);
    if (/^[ \t]/.test(line) && lines.length > 0) lines[lines.length - 1] += line;
    else lines.push(line);
    at = next;
  }
  return { lines, body: bytes.length };
}

/** What the pass needs of a header block: the type, the boundary of a multipart, and whether the body is base64. */
function contentOf(lines: readonly string[]): { type: string; boundary?: string; base64: boolean } | undefined {
  let type: string | undefined;
  let encoding: string | undefined;
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1);
    if (name === 'content-type') {
      if (type !== undefined) return undefined;
      type = value;
    } else if (name === 'content-transfer-encoding') {
      if (encoding !== undefined) return undefined;
      encoding = value;
    }
  }
  if (type === undefined) return { type: 'text/plain', base64: false };
  const [head = '', ...params] = type.split(';');
  const base64 = encoding !== undefined && /^\s*base64\s*$/i.test(encoding);
  const media = head.trim().toLowerCase();
  if (!/^[a-z0-9!#$&^_.+-]+\/[a-z0-9!#$&^_.+-]+$/.test(media)) return undefined;
  if (!media.startsWith('multipart/')) return { type: media, base64 };
  // Comments, escapes, RFC 2231 parameters, 8-bit bytes: postal-mime's reading would decide the boundary.
  if (/[()\\*\u0080-\u00ff]/.test(type)) return undefined;
  const boundaries = params.map((p) => /^\s*boundary\s*=\s*(?:"([^"]*)"|([^\s";]+))\s*$/i.exec(p)).filter((m) => m !== null);
  const boundary = boundaries[0]?.[1] ?? boundaries[0]?.[2];
  if (boundaries.length !== 1 || !boundary || params.some((p) => /"/.test(p) && !/^\s*boundary\s*=/i.test(p))) return undefined;
  return { type: media, boundary, base64 };
}

/** The delimiter line starting at `at` (postal-mime's processLine): which open boundary, whether it closes, where the next line starts. */
function delimiterAt(bytes: Uint8Array, at: number, open: readonly Uint8Array[]): { index: number; close: boolean; next: number } | undefined {
  if (bytes[at] !== 0x2d || bytes[at + 1] !== 0x2d) return undefined;
  const newline = bytes.indexOf(0x0a, at);
  const next = newline < 0 ? bytes.length : newline + 1;
  let end = next;
  while (end > at && (bytes[end - 1] === 0x0a || bytes[end - 1] === 0x0d)) end--;
  if (end - at <= 2) return undefined;
  for (let index = open.length - 1; index >= 0; index--) {
    const boundary = open[index] as Uint8Array;
    if (end - at < boundary.length + 2) continue;
    let matches = true;
    for (let j = 0; j < boundary.length && matches; j++) matches = bytes[at + 2 + j] === boundary[j];
    if (!matches) continue;
    let rest = at + 2 + boundary.length;
    const close = end - at >= boundary.length + 4 && bytes[rest] === 0x2d && bytes[rest + 1] === 0x2d;
    if (close) rest += 2;
    let blank = true;
    for (let j = rest; j < end && blank; j++) blank = bytes[j] === 0x20 || bytes[j] === 0x09;
    if (blank) return { index, close, next };
  }
  return undefined;
}

const atLineStart = (bytes: Uint8Array, at: number): boolean => at === 0 || bytes[at - 1] === 0x0a;

/** The next delimiter line of an open boundary at or after `from`. */
function nextDelimiter(bytes: Uint8Array, from: number, open: readonly Uint8Array[]): { index: number; close: boolean; next: number } | undefined {
  if (open.length === 0) return undefined;
  for (let at = bytes.indexOf(0x2d, from); at >= 0; at = bytes.indexOf(0x2d, at + 1)) {
    if (!atLineStart(bytes, at)) continue;
    const delimiter = delimiterAt(bytes, at, open);
    if (delimiter) return delimiter;
  }
  return undefined;
}

/**
 * The base64 bodies of `message` that can be kept encoded (see the top of this file), in order;
 * none when the message has anything the pass does not fully understand.
 */
export function findEncodedBodies(message: Uint8Array): EncodedBody[] {
  const bodies: EncodedBody[] = [];
  const open: Uint8Array[] = [];
  let at = 0;
  while (at < message.length) {
    const headers = readHeaders(message, at);
    const content = headers && contentOf(headers.lines);
    if (!headers || !content) return [];
    at = headers.body;
    if (content.boundary !== undefined) {
      if (open.length >= 64 || /[^\x20-\x7e]/.test(content.boundary)) return [];
      open.push(Uint8Array.from(content.boundary, (c) => c.charCodeAt(0)));
    } else if (content.base64 && !/^(?:text|multipart)\//.test(content.type) && content.type !== 'application/ics') {
      const { stop, size } = scanBase64(message, at);
      if (stop === message.length || (atLineStart(message, stop) && delimiterAt(message, stop, open))) bodies.push({ start: at, end: stop, size });
      at = stop;
    } else if (content.type.startsWith('multipart/')) {
      return []; // a multipart without a boundary
    }
    for (;;) {
      const delimiter = nextDelimiter(message, at, open);
      if (!delimiter) return bodies;
      open.length = delimiter.index + 1;
      at = delimiter.next;
      if (!delimiter.close) break;
      open.pop();
    }
  }
  return bodies;
}

const MARKER_NONCE = 14;

/** `message` with each body replaced by a marker line: base64 of the nonce and the body's index. */
function skeletonOf(message: Uint8Array, bodies: readonly EncodedBody[], nonce: Uint8Array): Uint8Array<ArrayBuffer> {
  const pieces: Uint8Array[] = [];
  let from = 0;
  bodies.forEach((body, index) => {
    const marker = new Uint8Array(MARKER_NONCE + 4);
    marker.set(nonce);
    new DataView(marker.buffer).setUint32(MARKER_NONCE, index);
    let line = '';
    for (const byte of marker) line += String.fromCharCode(byte);
    pieces.push(message.subarray(from, body.start), Uint8Array.from(`${btoa(line)}\r\n`, (c) => c.charCodeAt(0)));
    from = body.end;
  });
  pieces.push(message.subarray(from));
  return concatBytes(pieces);
}

/** The body index a marker names, if `content` is one of this parse's markers. */
function markerIndex(content: Attachment['content'], nonce: Uint8Array): number | undefined {
  if (typeof content === 'string' || content.byteLength !== MARKER_NONCE + 4) return undefined;
  const bytes = content instanceof Uint8Array ? content : new Uint8Array(content);
  for (let i = 0; i < MARKER_NONCE; i++) if (bytes[i] !== nonce[i]) return undefined;
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(MARKER_NONCE);
}

const postal = (bytes: Uint8Array): Promise<Email> =>
  // forceRfc822Attachments: an attached message is a file, never part of this message's body. Parsed
  // inline, its HTML and its own (forged) From would read as the sender's words.
  PostalMime.parse(bytes as Uint8Array<ArrayBuffer>, { attachmentEncoding: 'arraybuffer', forceRfc822Attachments: true });

function decoded(attachment: Attachment): MessageAttachment {
  const { content, encoding: _encoding, ...rest } = attachment;
  const bytes = typeof content === 'string' ? new TextEncoder().encode(content) : content instanceof Uint8Array ? new Uint8Array(content) : new Uint8Array(content);
  return { ...rest, size: bytes.length, bytes: () => bytes };
}

/** Parses the decrypted RFC 5322 message, its attachments' base64 bodies kept encoded where it can (see the top of this file). */
export async function parseMessage(message: Uint8Array): Promise<Message> {
  const bodies = findEncodedBodies(message);
  if (bodies.length > 0) {
    const nonce = crypto.getRandomValues(new Uint8Array(MARKER_NONCE));
    const email = await postal(skeletonOf(message, bodies, nonce));
    const claimed = new Set<number>();
    const attachments = email.attachments.map((attachment): MessageAttachment | undefined => {
      const index = markerIndex(attachment.content, nonce);
      if (index === undefined) return decoded(attachment);
      const body = bodies[index];
      if (body === undefined || claimed.has(index)) return undefined;
      claimed.add(index);
      const { content: _content, encoding: _encoding, ...rest } = attachment;
      return { ...rest, size: body.size, bytes: () => decodeBase64Body(message.subarray(body.start, body.end), body.size) };
    });
    if (claimed.size === bodies.length && attachments.every((a) => a !== undefined)) return { ...email, attachments };
  }
  const email = await postal(message);
  return { ...email, attachments: email.attachments.map(decoded) };
}
