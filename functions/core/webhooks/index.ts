/**
 * Webhooks: endpoints and their admin, signed deliveries of the audit trail, and which addresses a
 * webhook may reach (SSRF defence).
 *
 * May import: shared, audit, tenants — each through its index.
 */
export * from './address-policy.ts';
export * from './admin.ts';
export * from './dispatch.ts';
export * from './ports.ts';
export * from './signature.ts';
