/**
 * What every concern shares: the error vocabulary, base64url and SHA-256 helpers, time rules, text rules,
 * the ports of time, randomness, logging, envelope encryption, mail and the built web client.
 *
 * May import: nothing (it is the bottom layer) — each through its index.
 */
export * from './digest.ts';
export * from './encoding.ts';
export * from './errors.ts';
export * from './expiry.ts';
export * from './hashing.ts';
export * from './load-once.ts';
export * from './mail.ts';
export * from './ports.ts';
export * from './text-rules.ts';
