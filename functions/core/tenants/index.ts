/**
 * Tenants: settings (with revisions), API keys and their admin, authentication, branding (colour rules,
 * logos, the email frame).
 *
 * May import: shared, audit — each through its index.
 */
export * from './api-keys.ts';
export * from './branding.ts';
export * from './cached.ts';
export * from './email-frame.ts';
export * from './hostnames.ts';
export * from './key-admin.ts';
export * from './logo-svg.ts';
export * from './logo.ts';
export * from './model.ts';
export * from './new-tenant.ts';
export * from './ports.ts';
export * from './settings.ts';
