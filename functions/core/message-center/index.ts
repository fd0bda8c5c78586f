/**
 * Message Center: recipients' secrets kept under KMS (custody), the recipient inbox with its sign-in
 * codes and sessions, and an administrator's emergency recovery.
 *
 * May import: shared, protocol, audit, tenants, messages, pickup — each through its index.
 */
export * from './custody.ts';
export * from './inbox.ts';
export * from './ports.ts';
export * from './recovery.ts';
export * from './sign-in-email.ts';
