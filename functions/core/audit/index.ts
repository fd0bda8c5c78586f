/**
 * The audit trail: event types, the append-only event log port, appending after a change, and the
 * tenant feed (GET /v1/events).
 *
 * May import: shared — each through its index.
 */
export * from './feed.ts';
export * from './model.ts';
export * from './ports.ts';
export * from './trail.ts';
