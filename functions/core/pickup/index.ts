/**
 * Pickup: how a recipient proves the right to a message (link, token, passcode, email code, grant),
 * counted and locked, and opening it (the ciphertext, one view at a time).
 *
 * May import: shared, protocol, audit, tenants, messages — each through its index.
 */
export * from './code-email.ts';
export * from './open.ts';
export * from './ports.ts';
export * from './recipient-auth.ts';
export * from './verification.ts';
