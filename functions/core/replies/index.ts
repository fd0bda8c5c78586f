/**
 * Secure replies: a recipient answers a message through the send pipeline, rate-limited and threaded.
 *
 * May import: shared, audit, tenants, messages, pickup — each through its index.
 */
export * from './reply.ts';
