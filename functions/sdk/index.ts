/**
 * The sealpost SDK: a typed client of the sender API (client.ts) and sealing on the sender's machine
 * (sealed.ts), for Node 20+ and browsers. The package entry (functions/entries/sdk.ts) gives it the
 * server's own sealer; the CLI (functions/entries/cli.ts) is built on it.
 *
 * May import: core (messages, protocol, shared, and types of the others) — each through its index.
 */
export * from './client.ts';
export * from './errors.ts';
export * from './sealed.ts';
