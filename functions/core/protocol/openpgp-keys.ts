/**
 * The key material of the RFC 9580 subset sealpost writes and reads (docs/protocol.md §3), in both
 * directions, with WebCrypto alone: HKDF, the S2K, and v6 SKESK packets (§5.3.2) — read and opened
 * by the decryptor (openpgp-subset.ts) and the sealer's unlock, written by the sealer (openpgp-seal.ts);
 * and the v2 SEIPD's chunk cipher (§5.13.2) both use.
 */
import { DecryptError, malformed } from './openpgp-packets.ts';

export const TAG = { skesk: 3, literal: 11, seipd: 18, padding: 21 } as const;
export const AES256 = 9;
export const GCM = 3;
export const SHA256 = 8;
export const S2K = { simple: 0, salted: 1, iterated: 3 } as const;
export const KEY_BYTES = 32;
export const GCM_IV_BYTES = 12;
export const TAG_BYTES = 16;
/**
 * A sealpost message has at most 101 SKESKs (100 recipients and the custody key), each hashing 1,024
 * bytes in its S2K (count byte 0): the same bounds the server's shape check holds uploads to, so a
 * hostile message cannot make a recipient's browser hash gigabytes before anything is authenticated.
 */
export const MAX_SKESKS = 101;
const MAX_S2K_COUNT = 1024;
/** The S2K sealpost writes: iterated and salted, SHA-256, an 8-byte salt, count byte 0 (1,024 octets hashed). */
const WRITTEN_S2K_SALT_BYTES = 8;
const WRITTEN_S2K_COUNT_BYTE = 0;

export const subtle = (): SubtleCrypto => globalThis.crypto.subtle;

export async function hkdf(ikm: Uint8Array, salt: Uint8Array, info: Uint8Array, bytes: number): Promise<Uint8Array> {
  const key = await subtle().importKey('raw', ikm as BufferSource, 'HKDF', false, ['deriveBits']);
  return new Uint8Array(await subtle().deriveBits({ name: 'HKDF', hash: 'SHA-256', salt: salt as BufferSource, info: info as BufferSource }, key, bytes * 8));
}

export const aesKey = (raw: Uint8Array, usage: 'encrypt' | 'decrypt' = 'decrypt') => subtle().importKey('raw', raw as BufferSource, 'AES-GCM', false, [usage]);

export async function gcmOpen(key: CryptoKey, iv: Uint8Array, data: Uint8Array, additionalData: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await subtle().decrypt({ name: 'AES-GCM', iv: iv as BufferSource, additionalData: additionalData as BufferSource, tagLength: 128 }, key, data as BufferSource));
}

/**
 * Chunks the decryptor hands to WebCrypto at once. A few keep its threads busy; many
 * more are slower, not faster: in Node 22, opening 10 MiB as 40 chunks of 256 KiB takes about 4 ms
 * four at a time and 12 ms all at once (every chunk's input and output copied and held while the
 * thread pool works through them). npm run bench's seal + open figure measures it.
 */
export const OPEN_CHUNKS_IN_FLIGHT = 4;

/** `work` on each of `items`, at most `limit` at once, each next one started as one finishes; the results in order. */
export async function inFlight<T, R>(items: readonly T[], limit: number, work: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let i = next++; i < items.length; i = next++) results[i] = await work(items[i] as T, i);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

export async function gcmSeal(key: CryptoKey, iv: Uint8Array, data: Uint8Array, additionalData: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await subtle().encrypt({ name: 'AES-GCM', iv: iv as BufferSource, additionalData: additionalData as BufferSource, tagLength: 128 }, key, data as BufferSource));
}

/** A v6 SKESK (§5.3.2), as far as the subset reads it. */
export interface Skesk { readonly s2kType: number; readonly salt: Uint8Array; readonly count: number; readonly iv: Uint8Array; readonly encrypted: Uint8Array }

export function parseSkesk(body: Uint8Array): Skesk {
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
/**
 * The primitives a sealer needs, synchronous, where the runtime has them (Node's node:crypto:
 * adapters/node-crypto/gcm.ts): then a seal makes no WebCrypto call, each of which is a trip to
 * another thread and back — about a millisecond apiece on a busy machine, for each of the five a
 * message's keys take in sequence. The bytes written are the same either way.
 */
export interface SyncCrypto {
  /**
   * AES-256-GCM: `plain` under `key` and `nonce` with `adata`, the ciphertext and then the 16-byte
   * tag written into `out` (plain.length + 16 bytes).
   */
  readonly gcm: (key: Uint8Array, nonce: Uint8Array, plain: Uint8Array, adata: Uint8Array, out: Uint8Array) => void;
  readonly sha256: (data: Uint8Array) => Uint8Array;
  readonly hkdf: (ikm: Uint8Array, salt: Uint8Array, info: Uint8Array, bytes: number) => Uint8Array;
}

/** What S2K hashes (§3.7.1): the password, salted, and for the iterated form repeated to `count` bytes. */
function stringToKeyInput(skesk: Pick<Skesk, 's2kType' | 'salt' | 'count'>, password: Uint8Array): Uint8Array {
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
      salted.fill(0);
    }
  }
  return input;
}

async function stringToKey(skesk: Pick<Skesk, 's2kType' | 'salt' | 'count'>, password: Uint8Array): Promise<Uint8Array> {
  const input = stringToKeyInput(skesk, password);
  try {
    return new Uint8Array(await subtle().digest('SHA-256', input as BufferSource));
  } finally {
    if (input !== password) input.fill(0); // (the simple S2K hashes the password itself: the caller's)
  }
}

/** The SKESK's header octets (§5.3.2): the HKDF info and the GCM additional data of its key encryption. */
const skeskInfo = () => Uint8Array.of(0xc0 | TAG.skesk, 6, AES256, GCM);

/** §5.3: the session key, if `password` opens this SKESK (rejects otherwise). */
export async function openSkesk(skesk: Skesk, password: Uint8Array): Promise<Uint8Array> {
  const info = skeskInfo();
  let s2kKey: Uint8Array | undefined;
  let kekBytes: Uint8Array | undefined;
  try {
    s2kKey = await stringToKey(skesk, password);
    kekBytes = await hkdf(s2kKey, new Uint8Array(), info, KEY_BYTES);
    return await gcmOpen(await aesKey(kekBytes), skesk.iv, skesk.encrypted, info);
  } finally {
    s2kKey?.fill(0);
    kekBytes?.fill(0);
  }
}

/** The v2 SEIPD chunk cipher (§5.13.2), once its header and the session key are known. */
export interface Seipd {
  readonly key: CryptoKey;
  /** The derived message key's bytes (a sealer's own chunk cipher needs them); the owner zeroes them after use. */
  readonly keyBytes: Uint8Array;
  /** The nonce: 4 derived bytes, then the 8-byte big-endian chunk index. */
  readonly nonce: (index: number) => Uint8Array;
  readonly adata: Uint8Array;
  readonly chunkBytes: number;
}

/** The chunk cipher's parts that are bytes (§5.13.2): all a sealer with its own AES-GCM needs. */
export type SeipdKeys = Omit<Seipd, 'key'>;

function seipdKeysFrom(header: Uint8Array, derived: Uint8Array): SeipdKeys {
  const prefix = derived.subarray(KEY_BYTES);
  return {
    keyBytes: derived.subarray(0, KEY_BYTES),
    nonce: (index) => {
      const nonce = new Uint8Array(GCM_IV_BYTES);
      nonce.set(prefix);
      new DataView(nonce.buffer).setBigUint64(prefix.length, BigInt(index));
      return nonce;
    },
    adata: seipdAdata(header),
    chunkBytes: 2 ** ((header[3] as number) + 6),
  };
}

const seipdAdata = (header: Uint8Array) => Uint8Array.of(0xc0 | TAG.seipd, ...header.subarray(0, 4));

export async function seipdCipher(header: Uint8Array, sessionKey: Uint8Array, usage: 'encrypt' | 'decrypt' = 'decrypt'): Promise<Seipd> {
  const keys = seipdKeysFrom(header, await hkdf(sessionKey, header.subarray(4, 36), seipdAdata(header), KEY_BYTES + GCM_IV_BYTES - 8));
  return { ...keys, key: await aesKey(keys.keyBytes, usage) };
}

/** seipdCipher's bytes, derived with `sync` (no WebCrypto key: the sealer seals the chunks itself). */
export function seipdKeysSync(header: Uint8Array, sessionKey: Uint8Array, sync: SyncCrypto): SeipdKeys {
  return seipdKeysFrom(header, sync.hkdf(sessionKey, header.subarray(4, 36), seipdAdata(header), KEY_BYTES + GCM_IV_BYTES - 8));
}

/**
 * The bytes of one SKESK packet as sealpost writes it, header included: 2 + 76 (version, field count,
 * cipher, AEAD, S2K length, the 11-octet S2K, the 12-octet nonce, the 32-byte key and its 16-byte tag).
 */
export const WRITTEN_SKESK_BYTES = 78;

/**
 * One v6 SKESK packet wrapping `sessionKey` for `password`, exactly the form sealpost writes (and the
 * upload check accepts): AES-256, GCM, S2K iterated and salted with SHA-256 and count byte 0, with the
 * fresh salt and nonce `random` gives.
 */
export async function writeSkesk(sessionKey: Uint8Array, password: Uint8Array, random: (length: number) => Uint8Array): Promise<Uint8Array> {
  const { salt, iv, s2k, info } = skeskFields(password, random);
  let s2kKey: Uint8Array | undefined;
  let kekBytes: Uint8Array | undefined;
  try {
    s2kKey = new Uint8Array(await subtle().digest('SHA-256', s2k as BufferSource));
    kekBytes = await hkdf(s2kKey, new Uint8Array(), info, KEY_BYTES);
    const kek = await aesKey(kekBytes, 'encrypt');
    return skeskPacket(salt, iv, await gcmSeal(kek, iv, sessionKey, info));
  } finally {
    s2k.fill(0);
    s2kKey?.fill(0);
    kekBytes?.fill(0);
  }
}

/** writeSkesk with `sync`: the same packet, for the same random bytes. */
export function writeSkeskSync(sessionKey: Uint8Array, password: Uint8Array, random: (length: number) => Uint8Array, sync: SyncCrypto): Uint8Array {
  const { salt, iv, s2k, info } = skeskFields(password, random);
  let s2kKey: Uint8Array | undefined;
  let kek: Uint8Array | undefined;
  try {
    s2kKey = sync.sha256(s2k);
    kek = sync.hkdf(s2kKey, new Uint8Array(), info, KEY_BYTES);
    const wrapped = new Uint8Array(KEY_BYTES + TAG_BYTES);
    sync.gcm(kek, iv, sessionKey, info, wrapped);
    return skeskPacket(salt, iv, wrapped);
  } finally {
    s2k.fill(0);
    s2kKey?.fill(0);
    kek?.fill(0);
  }
}

/** A written SKESK's fresh salt and nonce, what its S2K hashes, and its header octets (the HKDF info and GCM additional data). */
function skeskFields(password: Uint8Array, random: (length: number) => Uint8Array) {
  const salt = random(WRITTEN_S2K_SALT_BYTES);
  const iv = random(GCM_IV_BYTES);
  const c = WRITTEN_S2K_COUNT_BYTE;
  const s2k = stringToKeyInput({ s2kType: S2K.iterated, salt, count: (16 + (c & 15)) << ((c >> 4) + 6) }, password);
  return { salt, iv, s2k, info: skeskInfo() };
}

function skeskPacket(salt: Uint8Array, iv: Uint8Array, wrapped: Uint8Array): Uint8Array {
  const c = WRITTEN_S2K_COUNT_BYTE;
  const packet = new Uint8Array(WRITTEN_SKESK_BYTES);
  packet.set([0xc0 | TAG.skesk, WRITTEN_SKESK_BYTES - 2, 6, 3 + 11 + GCM_IV_BYTES, AES256, GCM, 11, S2K.iterated, SHA256]);
  packet.set(salt, 9);
  packet[17] = c;
  packet.set(iv, 18);
  packet.set(wrapped, 18 + GCM_IV_BYTES);
  return packet;
}
