/**
 * The protocol's derivations, shared verbatim with the browser: secrets, message keys, link and access
 * tokens (docs/protocol.md §2–§5), the recovery wrap, and sealing and decrypting a message (the RFC
 * 9580 subset of §3). WebCrypto only: no Node API.
 *
 * May import: shared — each through its index.
 */
export * from './access-token.ts';
export * from './openpgp-frame.ts';
export * from './recovery-wrap.ts';
export * from './openpgp-subset.ts';
export * from './openpgp-seal.ts';
