/**
 * Sealed messages for the decryptor's tests, and their layout, read here independently of the code
 * under test (functions/core/protocol/openpgp-*.ts): where each SKESK sits, and the SEIPD packet's
 * body — header, AEAD chunks, final tag — re-framed with one definite length, so that tests can
 * cut, drop, repeat and swap whole chunks.
 */
import { createHash, hkdfSync, createCipheriv, randomBytes } from 'node:crypto';
import { OpenPgpSealer } from './openpgp-sealer.ts';

export const CHUNK_BYTES = 2 ** (12 + 6);
export const TAG_BYTES = 16;
const SEIPD_HEADER_BYTES = 36;

export const sealer = new OpenPgpSealer();

/** Byte-for-byte equality, quickly (toEqual walks a large typed array element by element). */
export const sameBytes = (a: Uint8Array, b: Uint8Array): boolean => Buffer.from(a.buffer, a.byteOffset, a.length).equals(Buffer.from(b.buffer, b.byteOffset, b.length));

export interface Layout {
  /** [start, end) of each SKESK packet, header included. */
  readonly skesks: readonly (readonly [number, number])[];
  /** The SEIPD body without its framing: version … salt, the sealed chunks (each with its tag), the final tag. */
  readonly header: Uint8Array;
  readonly chunks: readonly Uint8Array[];
  readonly finalTag: Uint8Array;
}

/** One packet length (RFC 9580 §4.2.1) at `at`: its value, header size and whether it is partial. */
function lengthAt(bytes: Uint8Array, at: number): { value: number; size: number; partial: boolean } {
  const b = bytes[at] as number;
  if (b < 192) return { value: b, size: 1, partial: false };
  if (b < 224) return { value: ((b - 192) << 8) + (bytes[at + 1] as number) + 192, size: 2, partial: false };
  if (b < 255) return { value: 1 << (b & 0x1f), size: 1, partial: true };
  return { value: Buffer.from(bytes.subarray(at + 1, at + 5)).readUInt32BE(0), size: 5, partial: false };
}

export function layoutOf(message: Uint8Array): Layout {
  const skesks: [number, number][] = [];
  let at = 0;
  while ((message[at] as number) === 0xc3) {
    const { value, size } = lengthAt(message, at + 1);
    skesks.push([at, at + 1 + size + value]);
    at += 1 + size + value;
  }
  if (message[at] !== 0xd2) throw new Error('no SEIPD packet after the SKESKs');
  at += 1;
  const parts: Uint8Array[] = [];
  for (;;) {
    const { value, size, partial } = lengthAt(message, at);
    parts.push(message.subarray(at + size, at + size + value));
    at += size + value;
    if (!partial) break;
  }
  const body = Buffer.concat(parts);
  const sealed = body.subarray(SEIPD_HEADER_BYTES, body.length - TAG_BYTES);
  const chunks: Uint8Array[] = [];
  for (let i = 0; i < sealed.length; i += CHUNK_BYTES + TAG_BYTES) chunks.push(sealed.subarray(i, i + CHUNK_BYTES + TAG_BYTES));
  return { skesks, header: body.subarray(0, SEIPD_HEADER_BYTES), chunks, finalTag: body.subarray(body.length - TAG_BYTES) };
}

/** The message again from its SKESKs and a SEIPD body of these parts, in one definite length (5-octet header). */
export function assemble(message: Uint8Array, layout: Pick<Layout, 'skesks'>, body: readonly Uint8Array[]): Uint8Array {
  const content = Buffer.concat(body);
  const length = Buffer.alloc(5);
  length[0] = 0xff;
  length.writeUInt32BE(content.length, 1);
  const end = layout.skesks.at(-1)?.[1] ?? 0;
  return new Uint8Array(Buffer.concat([message.subarray(0, end), Buffer.from([0xd2]), length, content]));
}

/**
 * A v6 SKESK with simple S2K (type 0, SHA-256) for `password`, wrapping `sessionKey` — what
 * openpgp.js does not write but RFC 9580 lets a message carry (§3.7.1.1, §5.3.2), written with
 * node:crypto alone.
 */
export function simpleS2kSkesk(password: string, sessionKey: Uint8Array): Uint8Array {
  const header = Buffer.from([0xc3, 6, 9, 3]);
  const s2kKey = createHash('sha256').update(password, 'utf8').digest();
  const kek = Buffer.from(hkdfSync('sha256', s2kKey, Buffer.alloc(0), header, 32));
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', kek, iv);
  cipher.setAAD(header);
  const encrypted = Buffer.concat([cipher.update(sessionKey), cipher.final(), cipher.getAuthTag()]);
  const body = Buffer.concat([Buffer.from([6, 3 + 2 + 12, 9, 3, 2, 0, 8]), iv, encrypted]);
  return new Uint8Array(Buffer.concat([Buffer.from([0xc3, body.length]), body]));
}
