/**
 * The scheduled run: record expirations, then deliver webhooks.
 *
 * May import: shared, messages, webhooks — each through its index.
 */
export * from './run.ts';
