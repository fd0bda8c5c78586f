/**
 * SHA-256 and HKDF-SHA-256 for the values the server and the browser both derive: tokens, and the
 * hashes kept of tokens, API keys, idempotency keys and bodies. node:crypto where the runtime has
 * it (the Lambda functions, the local server, the SDK under Node), WebCrypto otherwise (the page).
 *
 * The bytes are the same either way (test/core/shared/hashing.test.ts compares the two on generated
 * inputs and on RFC 5869's vectors). Only the cost differs: on Node, WebCrypto's first digest and
 * first HKDF each spend about 1 ms setting up its layer (measured on Node 22, the Lambda runtime),
 * on the cold start of every send and open, and each call after is a trip to another thread.
 * node:crypto is already loaded there — the AWS SDK signs with it — and answers synchronously.
 *
 * Found through `process.getBuiltinModule` (Node ≥ 20.16), so nothing here imports a Node module
 * and the page's bundle stays a browser one. Looked up once, at load, and only a function counts:
 * a page element with id="process" is a global of that name, but it has no such method.
 */

export interface Hashing {
  sha256(bytes: Uint8Array): Promise<Uint8Array>;
  /** HKDF-SHA-256 (RFC 5869): `bytes` of output keying material. */
  hkdfSha256(ikm: Uint8Array, salt: Uint8Array, info: Uint8Array, bytes: number): Promise<Uint8Array>;
}

/** The part of node:crypto used here. */
export interface NodeCryptoHashing {
  createHash(algorithm: 'sha256'): { update(data: Uint8Array): { digest(): Uint8Array } };
  hkdfSync(digest: 'sha256', ikm: Uint8Array, salt: Uint8Array, info: Uint8Array, keylen: number): ArrayBuffer;
}

const view = (bytes: Uint8Array) => bytes as Uint8Array<ArrayBuffer>;

export const webCryptoHashing: Hashing = {
  sha256: async (bytes) => new Uint8Array(await crypto.subtle.digest('SHA-256', view(bytes))),
  hkdfSha256: async (ikm, salt, info, bytes) => {
    const key = await crypto.subtle.importKey('raw', view(ikm), 'HKDF', false, ['deriveBits']);
    return new Uint8Array(await crypto.subtle.deriveBits({ name: 'HKDF', hash: 'SHA-256', salt: view(salt), info: view(info) }, key, bytes * 8));
  },
};

export function nodeCryptoHashing(node: NodeCryptoHashing): Hashing {
  return {
    // Copies into plain Uint8Arrays: the same type WebCrypto's answers have.
    sha256: async (bytes) => new Uint8Array(node.createHash('sha256').update(bytes).digest()),
    hkdfSha256: async (ikm, salt, info, bytes) => new Uint8Array(node.hkdfSync('sha256', ikm, salt, info, bytes)),
  };
}

/** How `runtime` (a global object) hashes: node:crypto when it offers it, WebCrypto otherwise. */
export function hashingOf(runtime: object): Hashing {
  const getBuiltinModule = (runtime as { process?: { getBuiltinModule?: unknown } }).process?.getBuiltinModule;
  if (typeof getBuiltinModule !== 'function') return webCryptoHashing;
  const node = (getBuiltinModule as (id: string) => Partial<NodeCryptoHashing> | undefined)('node:crypto');
  return typeof node?.createHash === 'function' && typeof node.hkdfSync === 'function' ? nodeCryptoHashing(node as NodeCryptoHashing) : webCryptoHashing;
}

/** What this runtime hashes with. */
export const hashing: Hashing = hashingOf(globalThis);
