/**
 * Messages: the head and its store, sending (seal once, store, notify), the pickup notification, what a
 * sender may do afterwards (status, list, expiry, revoke, expirations) and delivery feedback.
 *
 * May import: shared, protocol, audit, tenants — each through its index.
 */
export * from './admin.ts';
export * from './ids.ts';
export * from './mail-events.ts';
export * from './mime.ts';
export * from './model.ts';
export * from './notification.ts';
export * from './ports.ts';
export * from './send.ts';
export * from './upload.ts';
